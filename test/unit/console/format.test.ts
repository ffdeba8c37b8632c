// The console's display formats: durations, instants, ages and status tones.
import { describe, expect, it } from 'vitest';
import {
  formatAge,
  formatClock,
  formatDuration,
  formatPercent,
  formatTime,
  formatUtc,
  statusLabel,
  statusTone,
} from '../../../console/src/format/format';

describe('console formats', () => {
  it('writes durations in the largest unit that keeps them short', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(4_230)).toBe('4.23 s');
    expect(formatDuration(42_500)).toBe('42.5 s');
    expect(formatDuration(185_000)).toBe('3 m 05 s');
    expect(formatDuration(2 * 3600_000 + 7 * 60_000)).toBe('2 h 07 m');
    expect(formatDuration(3 * 86_400_000 + 4 * 3600_000)).toBe('3 d 4 h');
    expect(formatDuration(undefined)).toBe('—');
  });

  it('writes instants in UTC, and ages relative to now', () => {
    expect(formatTime('2026-03-02T09:12:31.042Z')).toBe('2026-03-02 09:12:31');
    expect(formatClock('2026-03-02T09:12:31.042Z')).toBe('09:12:31.042');
    const now = Date.parse('2026-03-02T10:00:00Z');
    expect(formatAge('2026-03-02T09:59:48Z', now)).toBe('12 s ago');
    expect(formatAge('2026-03-02T07:00:00Z', now)).toBe('3 h ago');
    expect(formatAge('2026-03-02T10:04:00Z', now)).toBe('in 4 m');
    expect(formatTime('not a date')).toBe('not a date');
    expect(formatUtc('2026-03-02T09:12:31.042Z')).toBe('2026-03-02 09:12:31 UTC');
    expect(formatUtc(undefined)).toBe('—');
    expect(formatUtc('not a date')).toBe('not a date');
  });

  it('gives each status a tone and a readable label', () => {
    expect(statusTone('SUCCEEDED')).toBe('ok');
    expect(statusTone('TIMED_OUT')).toBe('bad');
    expect(statusTone('RETRYING')).toBe('waiting');
    expect(statusTone('RUNNING')).toBe('active');
    expect(statusTone('SOMETHING_NEW')).toBe('neutral');
    expect(statusLabel('TIMED_OUT')).toBe('Timed out');
    expect(formatPercent(0.9731)).toBe('97.3%');
  });
});
