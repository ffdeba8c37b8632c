// Names of workflow state machines: `<prefix>_<readable>-<hash>`.
// - The prefix is the deployment's own (STATE_MACHINE_PREFIX: derived from the CDK stack name, fixed on
//   the local stack). It never contains `_`, so `<prefix>_*` (IAM patterns, the EventBridge rule) cannot
//   match another stack's machines, even one whose prefix starts with this one.
// - The hash is over the JSON encoding of [org, workflow, version], which is unambiguous where the
//   readable part is not (`acme-prod`/`etl` and `acme`/`prod-etl` read alike, hash apart).
// - The readable part is only for people in the AWS console; it is shortened to fit 80 characters.
import { createHash } from 'node:crypto';
import { ConfigurationError } from '../config';

/** Step Functions allows 80 characters of [A-Za-z0-9-_] in a state machine name. */
export const MAX_STATE_MACHINE_NAME = 80;
export const MAX_PREFIX_LENGTH = 32;
export const PREFIX_PATTERN = /^[A-Za-z0-9-]{1,32}$/;
const HASH_CHARS = 20;

/** Where every name of a deployment's state machines starts; IAM patterns and event rules match on it. */
export function stateMachineNameStart(prefix: string): string {
  assertPrefix(prefix, 'prefix');
  return `${prefix}_`;
}

export function stateMachineName(prefix: string, orgId: string, workflowId: string, version: number): string {
  const start = stateMachineNameStart(prefix);
  const hash = createHash('sha256')
    .update(JSON.stringify([orgId, workflowId, version]))
    .digest('hex')
    .slice(0, HASH_CHARS);
  const room = MAX_STATE_MACHINE_NAME - prefix.length - HASH_CHARS - 2;
  const readable = `${orgId}-${workflowId}-v${version}`.replace(/[^A-Za-z0-9-]+/g, '-').slice(0, room);
  return `${start}${readable}-${hash}`;
}

/**
 * The prefix of a CDK stack's state machines: its name when that fits, else the name shortened with a
 * hash of the whole name, so two stacks always get two prefixes.
 */
export function stackStateMachinePrefix(stackName: string): string {
  const safe = stackName.replace(/[^A-Za-z0-9-]/g, '-');
  if (safe === stackName && safe.length <= MAX_PREFIX_LENGTH) return safe;
  const hash = createHash('sha256').update(stackName).digest('hex').slice(0, 8);
  return `${safe.slice(0, MAX_PREFIX_LENGTH - hash.length - 1)}-${hash}`;
}

/** STATE_MACHINE_PREFIX, checked at load time so a bad value fails the cold start with its name. */
export function loadStateMachinePrefix(env: NodeJS.ProcessEnv = process.env): string {
  const prefix = env.STATE_MACHINE_PREFIX;
  if (!prefix) throw new ConfigurationError('Missing required environment variable STATE_MACHINE_PREFIX');
  assertPrefix(prefix, 'STATE_MACHINE_PREFIX');
  return prefix;
}

function assertPrefix(prefix: string, what: string): void {
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new ConfigurationError(
      `${what} must be 1 to ${MAX_PREFIX_LENGTH} characters of A-Z, a-z, 0-9 and -, got "${prefix}"`,
    );
  }
}
