import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../functions/shared/config';
import {
  CURSOR_KEY_MAX_AGE_SECONDS,
  cursorKeyFromEnvironment,
} from '../../../functions/shared/http/cursor-key';
import { fakeSecrets } from '../../support/fake-secrets';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:stepwise/cursor-key-AbCdEf';

describe('cursorKeyFromEnvironment', () => {
  it('uses the local stack key as given and reads no secret', async () => {
    const { secrets, reads } = fakeSecrets();
    const key = cursorKeyFromEnvironment(
      { CURSOR_SIGNING_KEY: 'local-key', CURSOR_KEY_SECRET_ARN: SECRET_ARN },
      secrets,
    );
    expect(await key()).toBe('local-key');
    expect(reads).toEqual([]);
  });

  it('reads the secret on first use, not at load, with a cache age', async () => {
    const { secrets, reads } = fakeSecrets('signing-key');
    const key = cursorKeyFromEnvironment({ CURSOR_KEY_SECRET_ARN: SECRET_ARN }, secrets);
    expect(reads).toEqual([]);
    expect(await key()).toBe('signing-key');
    expect(reads).toEqual([{ name: SECRET_ARN, maxAge: CURSOR_KEY_MAX_AGE_SECONDS }]);
  });

  it('fails at load without either variable, naming them', () => {
    expect(() => cursorKeyFromEnvironment({})).toThrow(ConfigurationError);
    expect(() => cursorKeyFromEnvironment({})).toThrow(/CURSOR_KEY_SECRET_ARN/);
  });

  it('fails with ConfigurationError naming the secret when it cannot be read or holds no string', async () => {
    for (const value of [new Error('AccessDeniedException: no'), new Uint8Array([1]), ' ']) {
      const key = cursorKeyFromEnvironment({ CURSOR_KEY_SECRET_ARN: SECRET_ARN }, fakeSecrets(value).secrets);
      const error = await key().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toContain(SECRET_ARN);
    }
  });
});
