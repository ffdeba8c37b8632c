// How long a worker may stay silent (no heartbeat) before it counts as DEAD: the deployment's
// `workerDeadAfterSeconds` (CDK context; the local stack's option or STEPWISE_WORKER_DEAD_AFTER_SECONDS),
// handed to the sweeper and the api as WORKER_DEAD_AFTER_SECONDS and checked once, here. It must span at
// least two of the intervals the deployment's workers heartbeat at (`workerHeartbeatSeconds`, the SDK's
// 30 s by default), or the sweeper marks a worker DEAD whose heartbeat is only late.
import { ConfigurationError } from '../config';

export const DEAD_AFTER_ENV = 'WORKER_DEAD_AFTER_SECONDS';

/** Five missed heartbeats at the SDK's default 30 s interval, and the platforms stepwise replaces. */
export const DEFAULT_DEAD_AFTER_SECONDS = 300;

/** The worker SDK's heartbeat interval when a worker sets none (sdk/config.ts). */
export const DEFAULT_HEARTBEAT_SECONDS = 30;

/** The SDK's own bound on a heartbeat interval. */
export const MAX_HEARTBEAT_SECONDS = 3600;

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

/** A whole number of seconds from 1 to an hour; `source` names the setting in the error. */
export function parseHeartbeatSeconds(raw: unknown, source: string): number {
  const value = typeof raw === 'string' && /^\d{1,4}$/.test(raw.trim()) ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_HEARTBEAT_SECONDS) {
    throw new InvalidDeadAfter(
      `${source} must be a whole number of seconds from 1 to ${MAX_HEARTBEAT_SECONDS}, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

/**
 * Refuses a dead-after shorter than two heartbeat intervals: one only longer than the interval marks a live
 * worker DEAD (its steps failed as Worker.Lost) when a single heartbeat is late, as a slow SendTaskHeartbeat
 * or a GC pause makes it. The names are the settings as the user gave them.
 */
export function checkDeadAfterSpansHeartbeats(
  deadAfter: { readonly seconds: number; readonly source: string },
  heartbeat: { readonly seconds: number; readonly source: string },
): void {
  if (deadAfter.seconds >= 2 * heartbeat.seconds) return;
  throw new InvalidDeadAfter(
    `${deadAfter.source} (${deadAfter.seconds} s) must be at least twice the workers' heartbeat interval ` +
      `(${heartbeat.seconds} s, ${heartbeat.source}): one late heartbeat would mark a live worker DEAD`,
  );
}

/** WORKER_DEAD_AFTER_SECONDS, read at load time; unset means the default. */
export function loadDeadAfterSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[DEAD_AFTER_ENV];
  return raw === undefined || raw === ''
    ? DEFAULT_DEAD_AFTER_SECONDS
    : parseDeadAfterSeconds(raw, DEAD_AFTER_ENV);
}
