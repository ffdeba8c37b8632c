import { describe, expect, it } from 'vitest';
import {
  formatDuration,
  parsePositiveInteger,
  parseTag,
  parseTimeArgument,
  UsageError,
} from '../../../bin/cli/format';
import { tagsOf } from '../../../bin/cli/program';

describe('formatDuration', () => {
  it.each([
    [850, '850ms'],
    [1_234, '1.23s'],
    [12_340, '12.3s'],
    [185_000, '3m 05s'],
    [7_800_000, '2h 10m'],
    [undefined, '-'],
  ])('%s ms reads %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('parseTimeArgument', () => {
  const now = new Date('2026-11-27T12:00:00Z');

  it('takes a span before now', () => {
    expect(parseTimeArgument('30m', '--from', now)).toBe('2026-11-27T11:30:00.000Z');
    expect(parseTimeArgument('6h', '--from', now)).toBe('2026-11-27T06:00:00.000Z');
    expect(parseTimeArgument('7d', '--from', now)).toBe('2026-11-20T12:00:00.000Z');
  });

  it('takes an ISO date-time', () => {
    expect(parseTimeArgument('2026-01-31T12:00:00+01:00', '--to', now)).toBe('2026-01-31T11:00:00.000Z');
  });

  it('refuses anything else, naming the option', () => {
    expect(() => parseTimeArgument('yesterday', '--from', now)).toThrow(UsageError);
    expect(() => parseTimeArgument('12', '--to', now)).toThrow(/--to takes an ISO date-time/);
  });
});

describe('option checks', () => {
  it('takes positive integers only', () => {
    expect(parsePositiveInteger('20', '--limit')).toBe(20);
    expect(() => parsePositiveInteger('0', '--limit')).toThrow(UsageError);
    expect(() => parsePositiveInteger('2.5', '--limit')).toThrow(UsageError);
  });

  it('takes tags as key:value', () => {
    expect(parseTag('team:payments')).toBe('team:payments');
    expect(() => parseTag('team')).toThrow(/takes key:value/);
    expect(() => parseTag(':x')).toThrow(UsageError);
  });
});

describe('tagsOf', () => {
  it('turns key:value options into the tags of a start, the key ending at the first colon', () => {
    expect(tagsOf(['env:prod', 'url:https://x'])).toEqual({ env: 'prod', url: 'https://x' });
  });

  it('refuses a key given twice', () => {
    expect(() => tagsOf(['env:prod', 'env:dev'])).toThrow(/--tag env is given twice/);
  });
});
