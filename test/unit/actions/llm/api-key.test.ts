import type { GetSecretValueCommandInput } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlmApiKeyUnavailable } from '../../../../functions/shared/actions/errors';
import { API_KEY_MAX_AGE_SECONDS, llmApiKey } from '../../../../functions/shared/actions/llm/api-key';
import { createActionRunner } from '../../../../functions/shared/actions/run-action';
import type { SecretsManagerClient } from '../../../../functions/shared/clients/secrets-manager';
import { cachedSecrets } from '../../../../functions/shared/secrets';
import { type FakeLlm, startFakeLlm } from '../../../../local/fake-llm';
import { fakeSecrets } from '../../../support/fake-secrets';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:stepwise/llm-api-key-AbCdEf';

describe('llmApiKey', () => {
  it('uses LLM_API_KEY as given, and no key when neither is set', () => {
    const { secrets, reads } = fakeSecrets();
    expect(llmApiKey({ apiKey: 'sk-local' }, secrets)).toBe('sk-local');
    expect(llmApiKey({}, secrets)).toBeUndefined();
    expect(reads).toEqual([]);
  });

  it('reads the secret only when a request needs the key, with a cache age', async () => {
    const { secrets, reads } = fakeSecrets(' sk-from-secret\n');
    const key = llmApiKey({ apiKeySecretArn: SECRET_ARN }, secrets);
    expect(reads).toEqual([]);
    expect(typeof key).toBe('function');
    expect(await (key as () => Promise<string>)()).toBe('sk-from-secret');
    expect(reads).toEqual([{ name: SECRET_ARN, maxAge: API_KEY_MAX_AGE_SECONDS }]);
  });

  it('fails with LlmApiKeyUnavailable naming the secret when it cannot be read or is not a string', async () => {
    for (const value of [new Error('AccessDeniedException: no'), new Uint8Array([1]), '']) {
      const key = llmApiKey(
        { apiKeySecretArn: SECRET_ARN },
        fakeSecrets(value).secrets,
      ) as () => Promise<string>;
      const error = await key().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LlmApiKeyUnavailable);
      expect((error as Error).message).toContain(SECRET_ARN);
    }
  });

  it('is cached: one GetSecretValue for many requests until maxAge, then read again', async () => {
    const sent: string[] = [];
    let version = 0;
    // The one call that would leave this machine, answered here.
    const send = async (command: { readonly input: GetSecretValueCommandInput }) => {
      sent.push(String(command.input.SecretId));
      version++;
      return { SecretString: `sk-${version}`, $metadata: {} };
    };
    let clock = 0;
    const secrets = cachedSecrets({ send } as SecretsManagerClient, () => clock);
    const key = llmApiKey({ apiKeySecretArn: SECRET_ARN }, () => secrets) as () => Promise<string>;
    expect(await Promise.all([key(), key()])).toEqual(['sk-1', 'sk-1']);
    clock = API_KEY_MAX_AGE_SECONDS * 1000 - 1;
    expect(await key()).toBe('sk-1');
    expect(sent).toEqual([SECRET_ARN]);
    clock = API_KEY_MAX_AGE_SECONDS * 1000;
    expect(await key()).toBe('sk-2');
    expect(sent).toEqual([SECRET_ARN, SECRET_ARN]);
  });

  it('does not keep a failed read: the next request asks again', async () => {
    let calls = 0;
    const send = async () => {
      calls++;
      if (calls === 1) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      return { SecretString: 'sk-after', $metadata: {} };
    };
    const secrets = cachedSecrets({ send } as SecretsManagerClient);
    const key = llmApiKey({ apiKeySecretArn: SECRET_ARN }, () => secrets) as () => Promise<string>;
    await expect(key()).rejects.toBeInstanceOf(LlmApiKeyUnavailable);
    expect(await key()).toBe('sk-after');
    expect(calls).toBe(2);
  });
});

describe('the step runner with LLM_API_KEY_SECRET_ARN', () => {
  let fake: FakeLlm;
  beforeAll(async () => {
    fake = await startFakeLlm();
  });
  afterAll(async () => {
    await fake.close();
  });

  it('sends the key from the secret on llm calls and reads nothing before the first one', async () => {
    const { secrets, reads } = fakeSecrets();
    const run = createActionRunner({
      env: { LLM_BASE_URL: fake.url, LLM_API_KEY_SECRET_ARN: SECRET_ARN, LLM_DEFAULT_MODEL: 'fake-llm-1' },
      secrets,
    });
    await run('transform', { expression: '1' }, { orgId: 'org-a' });
    expect(reads).toEqual([]);
    await run('llm', { prompt: 'hello' }, { orgId: 'org-a' });
    expect(fake.requests.at(-1)?.authorization).toBe('Bearer sk-from-secret');
    expect(reads.map((read) => read.name)).toEqual([SECRET_ARN]);
  });
});
