// JWT authentication against one OIDC issuer (Cognito or any other), configured from the environment
// once per container. Signing keys come from the issuer's JWKS, fetched by jose and cached per container
// (refetched on an unknown `kid`, with jose's cooldown), so a key rotation needs no redeploy.
import { createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { ConfigurationError } from '../config';
import type { Role } from '../resources';
import { type AuthResult, deny, ROLES } from './identity';

export interface JwtConfig {
  readonly issuer: string;
  /** Checked against `aud` (ID tokens) or, when a token has no `aud`, `client_id` (Cognito access tokens). */
  readonly audience?: string;
  readonly jwksUri: string;
  readonly orgClaim: string;
  readonly roleClaim: string;
}

export const ALLOWED_ALGORITHMS = ['RS256', 'ES256'];
/** Clock skew between the issuer and Lambda that `exp`/`nbf` tolerate. */
const CLOCK_TOLERANCE_SECONDS = 5;

/**
 * Reads the JWT settings; undefined (JWT authentication off, API keys only) when AUTH_JWT_ISSUER is unset.
 * - AUTH_JWT_ISSUER: the `iss` to accept, e.g. https://cognito-idp.<region>.amazonaws.com/<userPoolId>
 * - AUTH_JWT_AUDIENCE: optional; the app client id for Cognito
 * - AUTH_JWT_JWKS_URI: @default `<issuer>/.well-known/jwks.json` (where Cognito serves it)
 * - AUTH_JWT_ORG_CLAIM: @default `custom:org_id`
 * - AUTH_JWT_ROLE_CLAIM: @default `custom:role` (a string, or a list such as `cognito:groups`)
 */
export function loadJwtConfig(env: NodeJS.ProcessEnv = process.env): JwtConfig | undefined {
  const issuer = env.AUTH_JWT_ISSUER;
  if (!issuer) return undefined;
  const jwksUri = env.AUTH_JWT_JWKS_URI || `${issuer.replace(/\/+$/, '')}/.well-known/jwks.json`;
  for (const [name, value] of [
    ['AUTH_JWT_ISSUER', issuer],
    ['AUTH_JWT_JWKS_URI', jwksUri],
  ] as const) {
    if (!URL.canParse(value)) throw new ConfigurationError(`${name} is not a URL: ${value}`);
  }
  return {
    issuer,
    ...(env.AUTH_JWT_AUDIENCE && { audience: env.AUTH_JWT_AUDIENCE }),
    jwksUri,
    orgClaim: env.AUTH_JWT_ORG_CLAIM || 'custom:org_id',
    roleClaim: env.AUTH_JWT_ROLE_CLAIM || 'custom:role',
  };
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
    if (config.audience !== undefined && !audienceMatches(payload, config.audience)) {
      return deny('token audience is not accepted');
    }
    const orgId = payload[config.orgClaim];
    if (typeof orgId !== 'string' || orgId === '') {
      return deny(`token has no organization claim (${config.orgClaim})`);
    }
    const role = highestRole(payload[config.roleClaim]);
    if (!role) {
      return deny(`token has no valid role claim (${config.roleClaim}: one of ${ROLES.join(', ')})`);
    }
    return { orgId, role, principal: String(payload.sub), method: 'jwt' };
  };
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
