// How long a worker may stay silent (no heartbeat) before it counts as DEAD: the deployment's
// `workerDeadAfterSeconds` (CDK context; the local stack's option or STEPWISE_WORKER_DEAD_AFTER_SECONDS),
// handed to the sweeper and the api as WORKER_DEAD_AFTER_SECONDS and checked once, here.
import { ConfigurationError } from '../config';

export const DEAD_AFTER_ENV = 'WORKER_DEAD_AFTER_SECONDS';

/** Five missed heartbeats at the SDK's default 30 s interval, and the platforms stepwise replaces. */
export const DEFAULT_DEAD_AFTER_SECONDS = 300;

/** Longer than a day would outlive the worker items themselves (TTL). */
export const MAX_DEAD_AFTER_SECONDS = 86_400;

export class InvalidDeadAfter extends ConfigurationError {
  override name = 'InvalidDeadAfter';
}

/** A whole number of seconds from 1 to a day; `source` names the setting in the error. */
export function parseDeadAfterSeconds(raw: unknown, source: string): number {
  const value = typeof raw === 'string' && /^\d{1,6}$/.test(raw.trim()) ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_DEAD_AFTER_SECONDS) {
    throw new InvalidDeadAfter(
      `${source} must be a whole number of seconds from 1 to ${MAX_DEAD_AFTER_SECONDS}, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

/** WORKER_DEAD_AFTER_SECONDS, read at load time; unset means the default. */
export function loadDeadAfterSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[DEAD_AFTER_ENV];
  return raw === undefined || raw === ''
    ? DEFAULT_DEAD_AFTER_SECONDS
    : parseDeadAfterSeconds(raw, DEAD_AFTER_ENV);
}
