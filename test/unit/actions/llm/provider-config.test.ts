import { describe, expect, it } from 'vitest';
import {
  loadLlmConfig,
  OPENAI_DEFAULT_BASE_URL,
} from '../../../../functions/shared/actions/llm/provider-config';

describe('loadLlmConfig', () => {
  it('defaults to the OpenAI provider and endpoint with no key or model', () => {
    expect(loadLlmConfig({})).toEqual({ provider: 'openai', baseUrl: OPENAI_DEFAULT_BASE_URL });
  });

  it('reads every variable, trimming a trailing slash from the base URL', () => {
    expect(
      loadLlmConfig({
        LLM_PROVIDER: 'bedrock',
        LLM_BASE_URL: 'http://127.0.0.1:4010/v1/',
        LLM_API_KEY: 'sk-1',
        LLM_DEFAULT_MODEL: 'm-1',
      }),
    ).toEqual({
      provider: 'bedrock',
      baseUrl: 'http://127.0.0.1:4010/v1',
      apiKey: 'sk-1',
      defaultModel: 'm-1',
    });
  });

  it('reads the API key secret ARN, and refuses it together with LLM_API_KEY', () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:k-AbCdEf';
    expect(loadLlmConfig({ LLM_API_KEY_SECRET_ARN: arn })).toMatchObject({ apiKeySecretArn: arn });
    expect(() => loadLlmConfig({ LLM_API_KEY_SECRET_ARN: arn, LLM_API_KEY: 'k' })).toThrow(
      /LLM_API_KEY_SECRET_ARN/,
    );
  });

  it('fails naming LLM_PROVIDER when it is unknown', () => {
    expect(() => loadLlmConfig({ LLM_PROVIDER: 'azure' })).toThrow(/LLM_PROVIDER/);
    expect(() => loadLlmConfig({ LLM_PROVIDER: 'azure' })).toThrow(
      expect.objectContaining({ name: 'ConfigurationError' }),
    );
  });

  it('fails naming LLM_BASE_URL when it is not an http(s) URL', () => {
    expect(() => loadLlmConfig({ LLM_BASE_URL: 'api.openai.com' })).toThrow(/LLM_BASE_URL/);
    expect(() => loadLlmConfig({ LLM_BASE_URL: 'ftp://example.com' })).toThrow(/LLM_BASE_URL/);
  });
});
