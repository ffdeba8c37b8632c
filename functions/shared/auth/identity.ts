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
  /**
   * When the credential stops being valid, in epoch seconds: a JWT's `exp` (an API key lasts until it is
   * revoked). A request is authenticated afresh each time; a WebSocket connection made with the credential
   * is closed once it passes (live-expiry.ts).
   */
  readonly expiresAt?: number;
}

/** A credential that was missing or not accepted, and why (told to the caller in the 401). */
export interface Denied {
  readonly denied: string;
}

export type AuthResult = Identity | Denied;

export const isDenied = (result: AuthResult): result is Denied => 'denied' in result;

export const deny = (reason: string): Denied => ({ denied: reason });

/** The roles within an organization, strongest first. */
export const ROLES = ['OWNER', 'ADMIN', 'MEMBER'] as const satisfies readonly Role[];
export type OrgRole = (typeof ROLES)[number];

export const isRole = (value: unknown): value is OrgRole =>
  typeof value === 'string' && (ROLES as readonly string[]).includes(value);

/**
 * The organization id every OPERATOR identity carries, and no tenant can have: API keys and JWTs that put
 * a tenant role in it, or OPERATOR in any other org, are refused. Operators read across organizations
 * only through routes that say so (`operators: true` in ROUTES); the id itself grants nothing.
 */
export const OPERATOR_ORG_ID = '*';

/**
 * A tenant organization's id: letters (either case), digits, `_`, `-` and `.`, as `default` or
 * `Acme.EU` are (an identity provider's group names are often capitalized). Checked wherever an identity is made (API keys,
 * JWT claims) and wherever a request names an org, so an id never holds `#` (which separates the parts of
 * the table's keys: an org `a#WF#b` would share org a's key space), `:` (the separator of JWT groups),
 * `,` (API Gateway's join of a repeated parameter) or the operators' `*`. `DEPLOYMENT` is reserved: the
 * alert channels' keys put it where an org id stands for the deployment-wide scope
 * (`ALERTCHANNELS#DEPLOYMENT`, the channels' rate keys), so an org of that name would read, redirect and
 * delete the operators' channels, and receive every org's alerts.
 */
export const ORG_ID = /^(?!DEPLOYMENT$)[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const ORG_ID_RULE =
  'letters, digits, _, - or ., starting with a letter or digit, at most 64 characters, not DEPLOYMENT';

export const isOrgId = (value: string): boolean => ORG_ID.test(value);

export const isOperator = (identity: Pick<Identity, 'role'>): boolean => identity.role === 'OPERATOR';

/** Whether an org id and role go together: OPERATOR exactly in OPERATOR_ORG_ID, tenant roles in an org id. */
export const isValidMembership = (orgId: string, role: Role): boolean =>
  role === 'OPERATOR' ? orgId === OPERATOR_ORG_ID : isOrgId(orgId);
