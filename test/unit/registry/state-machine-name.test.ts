import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../functions/shared/config';
import {
  loadStateMachinePrefix,
  stackStateMachinePrefix,
  stateMachineName,
} from '../../../functions/shared/registry/state-machine-name';

const VALID = /^[A-Za-z0-9_-]{1,80}$/;

describe('stateMachineName', () => {
  it('tells apart org/workflow pairs that read alike', () => {
    const a = stateMachineName('Stepwise', 'acme-prod', 'etl', 1);
    const b = stateMachineName('Stepwise', 'acme', 'prod-etl', 1);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^Stepwise_acme-prod-etl-v1-[0-9a-f]{20}$/);
    expect(b).toMatch(/^Stepwise_acme-prod-etl-v1-[0-9a-f]{20}$/);
  });

  it('differs by version and by prefix, and is stable', () => {
    const name = stateMachineName('Stepwise', 'org', 'wf', 1);
    expect(stateMachineName('Stepwise', 'org', 'wf', 1)).toBe(name);
    expect(stateMachineName('Stepwise', 'org', 'wf', 2)).not.toBe(name);
    expect(stateMachineName('Other', 'org', 'wf', 1)).not.toBe(name);
  });

  it('stays within 80 characters of [A-Za-z0-9-_] for long and unusual ids', () => {
    const prefix = 'x'.repeat(32);
    for (const [org, wf] of [
      ['o'.repeat(300), 'w'.repeat(300)],
      ['ünïcødé org', 'wf with spaces/and:colons'],
      ['a', 'b'],
    ] as const) {
      const name = stateMachineName(prefix, org, wf, 999_999);
      expect(name).toMatch(VALID);
      expect(name.startsWith(`${prefix}_`)).toBe(true);
    }
  });

  it('refuses a prefix that could match another stack’s names', () => {
    expect(() => stateMachineName('has_underscore', 'o', 'w', 1)).toThrow(ConfigurationError);
    expect(() => stateMachineName('', 'o', 'w', 1)).toThrow(ConfigurationError);
  });
});

describe('stackStateMachinePrefix', () => {
  it('is the stack name when it fits', () => {
    expect(stackStateMachinePrefix('Stepwise')).toBe('Stepwise');
    expect(stackStateMachinePrefix('Stepwise-dev')).toBe('Stepwise-dev');
  });

  it('shortens a long stack name with a hash, so stacks sharing 32 leading characters still differ', () => {
    const base = 'Stepwise-a-very-long-stack-name-for-team';
    const a = stackStateMachinePrefix(`${base}-one`);
    const b = stackStateMachinePrefix(`${base}-two`);
    expect(a).not.toBe(b);
    for (const prefix of [a, b]) expect(prefix).toMatch(/^[A-Za-z0-9-]{1,32}$/);
  });
});

describe('loadStateMachinePrefix', () => {
  it('reads STATE_MACHINE_PREFIX', () => {
    expect(loadStateMachinePrefix({ STATE_MACHINE_PREFIX: 'Stepwise' })).toBe('Stepwise');
  });

  it('fails naming the variable when it is missing or malformed', () => {
    expect(() => loadStateMachinePrefix({})).toThrow(/STATE_MACHINE_PREFIX/);
    expect(() => loadStateMachinePrefix({ STATE_MACHINE_PREFIX: 'a_b' })).toThrow(/STATE_MACHINE_PREFIX/);
  });
});
