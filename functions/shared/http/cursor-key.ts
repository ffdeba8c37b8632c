// Where the key that signs pagination cursors comes from, decided once at load time:
//   CURSOR_KEY_SECRET_ARN  on AWS: a Secrets Manager secret the stack generates, read on first use and
//                          cached (../secrets.ts), so the key is never in the template or the environment
//   CURSOR_SIGNING_KEY     on the local stack: a random key kept in its data folder
import { ConfigurationError } from '../config';
import { type SecretsGetter, secretStringReader } from '../secrets';
import type { CursorKey } from './signed-cursor';

/** How long a container keeps the key before reading the secret again (a rotation takes effect then). */
export const CURSOR_KEY_MAX_AGE_SECONDS = 300;

export function cursorKeyFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  secrets?: () => SecretsGetter,
): CursorKey {
  const localKey = env.CURSOR_SIGNING_KEY;
  if (localKey) return async () => localKey;
  const secretArn = env.CURSOR_KEY_SECRET_ARN;
  if (!secretArn) {
    throw new ConfigurationError(
      'Missing required environment variable CURSOR_KEY_SECRET_ARN (or CURSOR_SIGNING_KEY)',
    );
  }
  return secretStringReader(secretArn, {
    maxAgeSeconds: CURSOR_KEY_MAX_AGE_SECONDS,
    secrets,
    unavailable: (reason, cause) =>
      new ConfigurationError(`Secret ${secretArn} holds no cursor key: ${reason}`, { cause }),
  });
}
