// JWT authentication against one OIDC issuer (Cognito or any other), configured from the environment
// once per container. Signing keys come from the issuer's JWKS, fetched by jose and cached per container
// (refetched on an unknown `kid`, with jose's cooldown), so a key rotation needs no redeploy.
//
// Org and role come only from claims users cannot write. By default that is a groups claim (Cognito's
// `cognito:groups`, which only administrators can change) holding groups named `stepwise:<orgId>:<ROLE>`;
// a token must name exactly one org. Operators (the deployment-level OPERATOR role) are the group
// `stepwise:*:OPERATOR`: `*` is the reserved operator org, where no tenant role counts. For identity
// providers whose claims the administrator controls, explicit org and role claims can be configured
// instead (OPERATOR: org `*`, role OPERATOR). (Cognito custom attributes such as `custom:role` are
// writable by users unless the app client forbids it, hence not the default.)
import { createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { ConfigurationError } from '../config';
import type { Role } from '../resources';
import {
  type AuthResult,
  type Denied,
  deny,
  isOrgId,
  isRole,
  isValidMembership,
  OPERATOR_ORG_ID,
  ORG_ID_RULE,
  ROLES,
} from './identity';

/** Where org and role come from: groups named `stepwise:<orgId>:<ROLE>`, or one claim for each. */
export type ClaimMapping =
  | { readonly kind: 'groups'; readonly groupsClaim: string }
  | { readonly kind: 'claims'; readonly orgClaim: string; readonly roleClaim: string };

export interface JwtConfig {
  readonly issuer: string;
  /** Checked against `aud` (ID tokens) or, when a token has no `aud`, `client_id` (Cognito access tokens). */
  readonly audience: string;
  readonly jwksUri: string;
  readonly claims: ClaimMapping;
}

export const DEFAULT_GROUPS_CLAIM = 'cognito:groups';
/** `stepwise:<orgId>:<ROLE>`; the org id is everything between the first and the last colon. */
const GROUP = /^stepwise:(.+):([A-Z]+)$/;

export const ALLOWED_ALGORITHMS = ['RS256', 'ES256'];
/** Clock skew between the issuer and Lambda that `exp`/`nbf` tolerate. */
const CLOCK_TOLERANCE_SECONDS = 5;

/**
 * Reads the JWT settings; undefined (JWT authentication off, API keys only) when AUTH_JWT_ISSUER is unset.
 * - AUTH_JWT_ISSUER: the `iss` to accept, e.g. https://cognito-idp.<region>.amazonaws.com/<userPoolId>
 * - AUTH_JWT_AUDIENCE: required with an issuer; the app client id for Cognito
 * - AUTH_JWT_JWKS_URI: @default `<issuer>/.well-known/jwks.json` (where Cognito serves it)
 * - AUTH_JWT_GROUPS_CLAIM: @default `cognito:groups`; groups named `stepwise:<orgId>:<OWNER|ADMIN|MEMBER>`,
 *   or `stepwise:*:OPERATOR` for operators
 * - AUTH_JWT_ORG_CLAIM and AUTH_JWT_ROLE_CLAIM: both or neither; instead of groups, for IdPs whose claims
 *   only administrators can set (the role claim may be a string or a list)
 */
export function loadJwtConfig(env: NodeJS.ProcessEnv = process.env): JwtConfig | undefined {
  const issuer = env.AUTH_JWT_ISSUER;
  if (!issuer) return undefined;
  const audience = env.AUTH_JWT_AUDIENCE;
  if (!audience) {
    throw new ConfigurationError(
      'AUTH_JWT_AUDIENCE is required with AUTH_JWT_ISSUER: without it any token the issuer signs for any client is accepted',
    );
  }
  const jwksUri = env.AUTH_JWT_JWKS_URI || `${issuer.replace(/\/+$/, '')}/.well-known/jwks.json`;
  for (const [name, value] of [
    ['AUTH_JWT_ISSUER', issuer],
    ['AUTH_JWT_JWKS_URI', jwksUri],
  ] as const) {
    if (!URL.canParse(value)) throw new ConfigurationError(`${name} is not a URL: ${value}`);
  }
  return { issuer, audience, jwksUri, claims: loadClaimMapping(env) };
}

function loadClaimMapping(env: NodeJS.ProcessEnv): ClaimMapping {
  const {
    AUTH_JWT_GROUPS_CLAIM: groupsClaim,
    AUTH_JWT_ORG_CLAIM: orgClaim,
    AUTH_JWT_ROLE_CLAIM: roleClaim,
  } = env;
  if (!orgClaim && !roleClaim) return { kind: 'groups', groupsClaim: groupsClaim || DEFAULT_GROUPS_CLAIM };
  if (!orgClaim || !roleClaim) {
    throw new ConfigurationError('AUTH_JWT_ORG_CLAIM and AUTH_JWT_ROLE_CLAIM must be set together');
  }
  if (groupsClaim) {
    throw new ConfigurationError(
      'AUTH_JWT_GROUPS_CLAIM cannot be combined with AUTH_JWT_ORG_CLAIM/AUTH_JWT_ROLE_CLAIM',
    );
  }
  return { kind: 'claims', orgClaim, roleClaim };
}

const remoteKeySets = new Map<string, JWTVerifyGetKey>();

/** One remote key set per JWKS URI and container, so the keys are fetched once, not per request. */
export function remoteJwks(jwksUri: string): JWTVerifyGetKey {
  let keys = remoteKeySets.get(jwksUri);
  if (!keys) {
    keys = createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: 3000 });
    remoteKeySets.set(jwksUri, keys);
  }
  return keys;
}

export type JwtVerifier = (token: string) => Promise<AuthResult>;

/**
 * A verifier for the configured issuer. Tokens that fail verification are denied with a reason; an
 * issuer that cannot be reached (timeout, non-200, malformed JWKS) throws, because that is not the
 * caller's fault and must surface as a 5xx, not as a silent 403.
 */
export function createJwtVerifier(
  config: JwtConfig,
  keys: JWTVerifyGetKey = remoteJwks(config.jwksUri),
): JwtVerifier {
  return async (token: string): Promise<AuthResult> => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: config.issuer,
        algorithms: ALLOWED_ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (error) {
      return denyVerificationError(error);
    }
    if (!audienceMatches(payload, config.audience)) return deny('token audience is not accepted');
    const membership =
      config.claims.kind === 'groups'
        ? membershipFromGroups(payload, config.claims.groupsClaim)
        : membershipFromClaims(payload, config.claims.orgClaim, config.claims.roleClaim);
    if ('denied' in membership) return membership;
    // When the token stops being accepted here: its `exp` (a required claim, so a number, which may have a
    // fraction) and the clock tolerance, so that a live connection ends when a request would be refused.
    const expiresAt = Math.floor(Number(payload.exp)) + CLOCK_TOLERANCE_SECONDS;
    return { ...membership, principal: String(payload.sub), method: 'jwt', expiresAt };
  };
}

type Membership = { readonly orgId: string; readonly role: Role } | Denied;

/** One org from `stepwise:<orgId>:<ROLE>` groups (other groups are ignored); its strongest role wins. */
function membershipFromGroups(payload: JWTPayload, claim: string): Membership {
  const value = payload[claim];
  const groups = (Array.isArray(value) ? value : [value]).filter((g): g is string => typeof g === 'string');
  const rolesByOrg = new Map<string, Role[]>();
  for (const group of groups) {
    const [, orgId, name] = GROUP.exec(group) ?? [];
    const role = isRole(name) || name === 'OPERATOR' ? (name as Role) : undefined;
    if (orgId === undefined || role === undefined) continue;
    // Refused, not skipped: a group meant for an org that cannot exist is a misconfigured pool, and an
    // id like a#WF#b would otherwise reach the table's keys.
    if (orgId !== OPERATOR_ORG_ID && !isOrgId(orgId)) {
      return deny(`token group ${group} in ${claim} does not name an organization id (${ORG_ID_RULE})`);
    }
    // A tenant role in the operator org, or OPERATOR in a tenant org, is no membership at all.
    if (!isValidMembership(orgId, role)) continue;
    rolesByOrg.set(orgId, [...(rolesByOrg.get(orgId) ?? []), role]);
  }
  if (rolesByOrg.size === 0) {
    return deny(
      `token has no stepwise group in ${claim} (stepwise:<orgId>:<${ROLES.join('|')}> or stepwise:${OPERATOR_ORG_ID}:OPERATOR)`,
    );
  }
  if (rolesByOrg.size > 1) {
    return deny(
      `token has stepwise groups for more than one organization in ${claim} (${[...rolesByOrg.keys()].join(', ')})`,
    );
  }
  const [[orgId, roles] = ['', []]] = rolesByOrg;
  if (orgId === OPERATOR_ORG_ID) return { orgId, role: 'OPERATOR' };
  const role = highestRole(roles);
  return role ? { orgId, role } : deny(`token has no valid role in ${claim}`);
}

function membershipFromClaims(payload: JWTPayload, orgClaim: string, roleClaim: string): Membership {
  const orgId = payload[orgClaim];
  if (typeof orgId !== 'string' || orgId === '') {
    return deny(`token has no organization claim (${orgClaim})`);
  }
  if (orgId === OPERATOR_ORG_ID) {
    return hasOperatorRole(payload[roleClaim])
      ? { orgId, role: 'OPERATOR' }
      : deny(`organization ${OPERATOR_ORG_ID} (${orgClaim}) is reserved for the OPERATOR role`);
  }
  if (!isOrgId(orgId)) {
    return deny(`token organization claim ${orgClaim} is not an organization id (${ORG_ID_RULE})`);
  }
  const role = highestRole(payload[roleClaim]);
  if (!role) return deny(`token has no valid role claim (${roleClaim}: one of ${ROLES.join(', ')})`);
  return { orgId, role };
}

/** Cognito ID tokens carry the app client id in `aud`; its access tokens carry it in `client_id`. */
function audienceMatches(payload: JWTPayload, audience: string): boolean {
  if (payload.aud !== undefined) {
    return Array.isArray(payload.aud) ? payload.aud.includes(audience) : payload.aud === audience;
  }
  return payload.client_id === audience;
}

/** A role claim may be one role or a list (e.g. Cognito groups); the strongest known role wins. */
function highestRole(claim: unknown): Role | undefined {
  const values = (Array.isArray(claim) ? claim : [claim]).map((value) =>
    typeof value === 'string' ? value.toUpperCase() : value,
  );
  return ROLES.find((role) => values.includes(role));
}

function hasOperatorRole(claim: unknown): boolean {
  return (Array.isArray(claim) ? claim : [claim]).some(
    (value) => typeof value === 'string' && value.toUpperCase() === 'OPERATOR',
  );
}

const ISSUER_FAILURES = new Set([errors.JWKSTimeout.code, errors.JWKSInvalid.code, errors.JOSEError.code]);

function denyVerificationError(error: unknown): AuthResult {
  if (!(error instanceof errors.JOSEError) || ISSUER_FAILURES.has(error.code)) throw error;
  if (error instanceof errors.JWTExpired) return deny('token expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    return deny(`token claim ${error.claim} is invalid (${error.reason})`);
  }
  if (error instanceof errors.JWKSNoMatchingKey) return deny('token signing key is not known to the issuer');
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return deny(`token algorithm is not allowed (${ALLOWED_ALGORITHMS.join(', ')})`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return deny('token signature is invalid');
  return deny('token is malformed');
}
