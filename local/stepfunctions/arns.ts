// ARNs and resource names in the shapes AWS uses, so code that builds or parses them works against both.
import { invalidArn, invalidName } from './errors';

export interface Partition {
  readonly region: string;
  readonly accountId: string;
}

export const stateMachineArn = (p: Partition, name: string) =>
  `arn:aws:states:${p.region}:${p.accountId}:stateMachine:${name}`;

export const executionArn = (p: Partition, stateMachineName: string, name: string) =>
  `arn:aws:states:${p.region}:${p.accountId}:execution:${stateMachineName}:${name}`;

const ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):(\d{12}):(stateMachine|execution):(.+)$/;

function parseArn(arn: unknown, kind: 'stateMachine' | 'execution'): string[] {
  if (typeof arn !== 'string') throw invalidArn(String(arn), 'Resource type not valid in this context');
  const match = ARN.exec(arn);
  if (!match) throw invalidArn(arn, 'Resource type not valid in this context');
  if (match[3] !== kind) throw invalidArn(arn, 'Resource type not valid in this context');
  return (match[4] ?? '').split(':');
}

/** Validates a state machine ARN (a version or alias suffix is not supported locally). */
export function assertStateMachineArn(arn: unknown): string {
  const parts = parseArn(arn, 'stateMachine');
  if (parts.length !== 1) throw invalidArn(String(arn), 'Versions and aliases are not supported locally');
  return arn as string;
}

export function assertExecutionArn(arn: unknown): string {
  const parts = parseArn(arn, 'execution');
  if (parts.length !== 2) throw invalidArn(String(arn), 'Resource type not valid in this context');
  return arn as string;
}

// AWS: 1-80 characters; no whitespace, brackets, wildcards, special or control characters.
const FORBIDDEN = new Set([...'<>{}[]?*"#%\\^|~`$&,;:/']);

function isForbidden(char: string): boolean {
  const code = char.codePointAt(0) ?? 0;
  return FORBIDDEN.has(char) || /\s/.test(char) || code <= 0x1f || (code >= 0x7f && code <= 0x9f);
}

export function assertValidName(name: unknown): string {
  if (typeof name !== 'string' || name.length < 1 || name.length > 80 || [...name].some(isForbidden)) {
    throw invalidName(String(name));
  }
  return name;
}
