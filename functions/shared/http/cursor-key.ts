// Where the key that signs pagination cursors comes from, decided once at load time:
//   CURSOR_KEY_SECRET_ARN  on AWS: a Secrets Manager secret the stack generates, read through Powertools
//                          Parameters and cached, so the key is never in the template or the environment
//   CURSOR_SIGNING_KEY     on the local stack: a random key kept in its data folder
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { ConfigurationError } from '../config';
import type { CursorKey } from './signed-cursor';

/** How long a container keeps the key before reading the secret again (a rotation takes effect then). */
const SECRET_MAX_AGE_SECONDS = 300;

export function cursorKeyFromEnvironment(env: NodeJS.ProcessEnv = process.env): CursorKey {
  const localKey = env.CURSOR_SIGNING_KEY;
  if (localKey) return async () => localKey;
  const secretArn = env.CURSOR_KEY_SECRET_ARN;
  if (!secretArn) {
    throw new ConfigurationError(
      'Missing required environment variable CURSOR_KEY_SECRET_ARN (or CURSOR_SIGNING_KEY)',
    );
  }
  return async () => {
    const key = await getSecret(secretArn, { maxAge: SECRET_MAX_AGE_SECONDS });
    if (typeof key !== 'string' || key === '')
      throw new ConfigurationError(`Secret ${secretArn} holds no key`);
    return key;
  };
}
