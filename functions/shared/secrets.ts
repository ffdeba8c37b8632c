// Secrets Manager secrets read as strings, each value cached per container for the caller's maxAge, so a
// rotated secret is picked up without a redeploy, and nothing is read before the first use (not at cold
// start). This was Powertools Parameters' SecretsProvider; it is not any more because that module imports
// `@aws-sdk/client-secrets-manager` statically, and esbuild hoists that import to the bundle's init even
// behind an `import()`, which cost every cold start of the api, step runner and notifier the package's
// load (see clients/lazy-sdk.ts). What it did for us is the cache below: GetSecretValue, the string (or
// the binary) of the current version, kept maxAge seconds; reads of one secret in flight together share
// one call, and a failed read is not kept.
import {
  GetSecretValueCommand,
  type SecretsManagerClient,
  secretsManagerClient,
} from './clients/secrets-manager';

/** The reading side of Secrets Manager, so tests can pass a fake. */
export interface SecretsGetter {
  /** The secret's SecretString, or its SecretBinary; cached `maxAge` seconds. */
  get(name: string, options: { readonly maxAge: number }): Promise<unknown>;
}

/** A SecretsGetter over `client`, with its own cache. */
export function cachedSecrets(
  client: Pick<SecretsManagerClient, 'send'>,
  now: () => number = Date.now,
): SecretsGetter {
  const cache = new Map<string, { readonly value: Promise<unknown>; readonly expiresAt: number }>();
  return {
    get(name, { maxAge }) {
      const cached = cache.get(name);
      if (cached && now() < cached.expiresAt) return cached.value;
      const value = client
        .send(new GetSecretValueCommand({ SecretId: name }))
        .then((secret) => secret.SecretString ?? secret.SecretBinary);
      const entry = { value, expiresAt: now() + maxAge * 1000 };
      cache.set(name, entry);
      value.catch(() => {
        if (cache.get(name) === entry) cache.delete(name);
      });
      return value;
    },
  };
}

let provider: SecretsGetter | undefined;

/** The container's secrets reader, created on first use. */
export function secretsManager(): SecretsGetter {
  provider ??= cachedSecrets(secretsManagerClient());
  return provider;
}

export interface SecretStringOptions {
  /** How long a read value is kept before Secrets Manager is asked again. */
  readonly maxAgeSeconds: number;
  /** The caller's named error for a secret that cannot be read or holds no string. */
  readonly unavailable: (reason: string, cause?: unknown) => Error;
  /** @default secretsManager */
  readonly secrets?: () => SecretsGetter;
}

/** A function reading `secretId` as a trimmed, non-empty string, only when it is called. */
export function secretStringReader(secretId: string, options: SecretStringOptions): () => Promise<string> {
  const secrets = options.secrets ?? secretsManager;
  return async () => {
    let value: unknown;
    try {
      value = await secrets().get(secretId, { maxAge: options.maxAgeSeconds });
    } catch (error) {
      throw options.unavailable(error instanceof Error ? error.message : String(error), error);
    }
    if (typeof value !== 'string' || value.trim() === '') {
      throw options.unavailable('the secret has no string value');
    }
    return value.trim();
  };
}
