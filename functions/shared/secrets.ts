// Secrets Manager secrets read as strings through Powertools Parameters: one SecretsProvider over one
// traced SecretsManagerClient per container, created on the first read (not at cold start). It lives here
// rather than in clients/ so that only the functions that read a secret (api, step-runner) bundle it.
// Each value is cached for the caller's maxAge, so a rotated secret is picked up without a redeploy.
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { traced } from './tracing';

/** The slice of Powertools' SecretsProvider used here, so tests can pass a fake. */
export interface SecretsGetter {
  get(name: string, options: { readonly maxAge: number }): Promise<unknown>;
}

let client: SecretsManagerClient | undefined;
let provider: SecretsProvider | undefined;

/** The container's Secrets Manager client (the api writes alert channel secrets with it), created on first use. */
export function secretsManagerClient(): SecretsManagerClient {
  client ??= traced(new SecretsManagerClient({}));
  return client;
}

/** The container's Secrets Manager provider, created on first use. */
export function secretsManager(): SecretsGetter {
  provider ??= new SecretsProvider({ awsSdkV3Client: secretsManagerClient() });
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
