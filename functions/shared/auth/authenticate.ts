// Authentication of one request from its Authorization header, the HTTP API's identity source:
// `Bearer <jwt>` or `Bearer sw_<key>` (API keys are told apart by their prefix). Pure over its
// dependencies (the key store, the JWT verifier), so the authorizer Lambda, the local API server and the
// tests share it. Reads only: the authorizer needs no write access to the table.
import { API_KEY_PREFIX, type ApiKeyStore, isApiKeyFormat } from './api-keys';
import { type AuthResult, type Denied, deny, isValidMembership } from './identity';
import type { JwtVerifier } from './jwt';

export interface AuthenticateDeps {
  readonly apiKeys: Pick<ApiKeyStore, 'findByKey'>;
  /** Undefined when no OIDC issuer is configured (AUTH_JWT_ISSUER unset): bearer JWTs are then refused. */
  readonly verifyJwt?: JwtVerifier;
}

export type Credential =
  | { readonly kind: 'api-key'; readonly value: string }
  | { readonly kind: 'jwt'; readonly value: string };

const BEARER = /^Bearer +(\S+)$/i;

/** The credential an Authorization header carries, or why it carries none usable. */
export function parseAuthorization(header: string | undefined): Credential | Denied {
  const value = header?.trim();
  if (!value) return deny('missing Authorization header');
  const token = BEARER.exec(value)?.[1];
  if (token === undefined) return deny('Authorization must be "Bearer <token>"');
  if (token.startsWith(API_KEY_PREFIX)) {
    return isApiKeyFormat(token) ? { kind: 'api-key', value: token } : deny('API key is malformed');
  }
  return { kind: 'jwt', value: token };
}

export async function authenticate(
  authorizationHeader: string | undefined,
  deps: AuthenticateDeps,
): Promise<AuthResult> {
  const credential = parseAuthorization(authorizationHeader);
  if ('denied' in credential) return credential;
  if (credential.kind === 'jwt') {
    return deps.verifyJwt ? deps.verifyJwt(credential.value) : deny('JWT authentication is not configured');
  }
  const key = await deps.apiKeys.findByKey(credential.value);
  if (!key) return deny('API key is not known');
  if (key.revokedAt !== undefined) return deny(`API key ${key.keyId} was revoked at ${key.revokedAt}`);
  // Keys are created valid; this guards against an item written by hand into the reserved org.
  if (!isValidMembership(key.orgId, key.role))
    return deny(`API key ${key.keyId} has an invalid org and role`);
  return { orgId: key.orgId, role: key.role, principal: key.keyId, method: 'api-key' };
}
