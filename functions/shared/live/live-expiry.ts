// A WebSocket connection lasts no longer than the credential it was opened with. An HTTP request is
// authenticated afresh each time, but a connection only at $connect, and API Gateway keeps it for up to 2
// hours: a JWT that expired (or whose user was disabled) kept hearing events until then. So the $connect
// authorizer hands on the credential's expiry (a JWT's `exp`; an API key has none: its revocation ends
// its connections, live-revocation.ts), the connection is listed under it (live-store.ts), a message on
// an expired connection is refused, and the sweeper removes and closes the expired connections every
// minute: they hear nothing more, and a client such as the console reconnects with a fresh token.
import type { Identity } from '../auth/identity';
import type { ExpiringConnections } from './live-store';

/** The key of the credential's expiry in the $connect authorizer's context. */
export const CREDENTIAL_EXPIRY_KEY = 'credentialExpiresAt';

/** What a message on a connection whose credential expired is told. */
export const CREDENTIAL_EXPIRED = "this connection's credential has expired; reconnect with a fresh one";

/** Connections closed per sweep, at most, one after another (the next sweep takes the rest). */
export const EXPIRED_PER_SWEEP = 100;

/**
 * The expiry in an authorizer context, in epoch seconds: a number, or its text (a WebSocket authorizer's
 * context values may reach the integration as strings); undefined when absent or not a positive integer.
 */
export function credentialExpiryOf(value: unknown): number | undefined {
  const seconds = typeof value === 'string' && /^\d{1,12}$/.test(value) ? Number(value) : value;
  return typeof seconds === 'number' && Number.isSafeInteger(seconds) && seconds > 0 ? seconds : undefined;
}

export const credentialExpired = (identity: Pick<Identity, 'expiresAt'>, now: Date): boolean =>
  identity.expiresAt !== undefined && identity.expiresAt * 1000 <= now.getTime();

export interface ExpirySweepDeps {
  readonly store: ExpiringConnections;
  /** Closes a connection at API Gateway (DeleteConnection); 'gone' when it was closed already. */
  readonly close: (connectionId: string) => Promise<'closed' | 'gone'>;
  readonly now: () => Date;
  readonly onError?: (error: unknown, connectionId: string) => void;
}

export interface ExpirySweepReport {
  /** Connections removed and closed (or found closed already). */
  readonly closed: number;
  readonly errors: number;
}

/**
 * Removes each connection whose credential has expired, then closes it: removed first, so it hears
 * nothing more even if the close fails. A connection that failed stays listed, for the next sweep.
 */
export async function closeExpiredConnections(deps: ExpirySweepDeps): Promise<ExpirySweepReport> {
  const atSeconds = Math.floor(deps.now().getTime() / 1000);
  let closed = 0;
  let errors = 0;
  for (const connection of await deps.store.expiredConnections(atSeconds, EXPIRED_PER_SWEEP)) {
    try {
      await deps.store.removeConnection(connection.connectionId);
      await deps.close(connection.connectionId);
      await deps.store.forgetExpiry(connection);
      closed++;
    } catch (error) {
      errors++;
      deps.onError?.(error, connection.connectionId);
    }
  }
  return { closed, errors };
}
