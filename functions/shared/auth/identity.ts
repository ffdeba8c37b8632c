// Who is calling: the outcome of authentication, shared by the JWT and API key paths, the authorizer and
// the handlers (which read it back from the authorizer context, never from the request body).
import type { Role } from '../resources';

export type AuthMethod = 'jwt' | 'api-key';

export interface Identity {
  readonly orgId: string;
  readonly role: Role;
  /** The JWT `sub`, or the API key's public keyId. */
  readonly principal: string;
  readonly method: AuthMethod;
}

/** A credential that was missing or not accepted, and why (told to the caller in the 401). */
export interface Denied {
  readonly denied: string;
}

export type AuthResult = Identity | Denied;

export const isDenied = (result: AuthResult): result is Denied => 'denied' in result;

export const deny = (reason: string): Denied => ({ denied: reason });

export const ROLES = ['OWNER', 'ADMIN', 'MEMBER'] as const satisfies readonly Role[];

export const isRole = (value: unknown): value is Role =>
  typeof value === 'string' && (ROLES as readonly string[]).includes(value);
