// The deployment's settings, read once from config.json next to index.html: where the HTTP API and the
// WebSocket are, and the OIDC provider when there is one. The local stack generates it; CDK deploys it.
export interface OidcConfig {
  /** The Cognito domain URL (hosted UI), e.g. https://auth.example.com. */
  readonly authority: string;
  readonly clientId: string;
  /** @default ['openid', 'email', 'profile'] */
  readonly scopes?: readonly string[];
}

export interface ConsoleConfig {
  readonly apiUrl: string;
  readonly liveUrl: string;
  readonly oidc?: OidcConfig;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Checks what the file holds: a console pointed at nothing should say so, not fail on first request. */
export function parseConfig(value: unknown): ConsoleConfig {
  if (typeof value !== 'object' || value === null) throw new ConfigError('config.json is not an object');
  const { apiUrl, liveUrl, oidc } = value as Record<string, unknown>;
  if (typeof apiUrl !== 'string' || apiUrl === '') throw new ConfigError('config.json has no apiUrl');
  if (typeof liveUrl !== 'string') throw new ConfigError('config.json has no liveUrl');
  const config: ConsoleConfig = { apiUrl: apiUrl.replace(/\/+$/, ''), liveUrl };
  if (oidc === undefined || oidc === null) return config;
  const { authority, clientId, scopes } = oidc as Record<string, unknown>;
  if (typeof authority !== 'string' || typeof clientId !== 'string')
    throw new ConfigError('config.json oidc needs authority and clientId');
  const scopeList = Array.isArray(scopes)
    ? scopes.filter((s): s is string => typeof s === 'string')
    : undefined;
  return { ...config, oidc: { authority: authority.replace(/\/+$/, ''), clientId, scopes: scopeList } };
}

export async function loadConfig(base: string): Promise<ConsoleConfig> {
  const response = await fetch(`${base}config.json`, { cache: 'no-store' });
  if (!response.ok) throw new ConfigError(`config.json: HTTP ${response.status}`);
  return parseConfig(await response.json());
}
