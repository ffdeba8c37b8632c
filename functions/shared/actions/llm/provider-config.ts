// Configuration of the `llm` action, read from the environment once (at cold start) and failing with the
// variable's name. The CDK stack (lib/stepwise-stack.ts) and the local stack set these:
//   LLM_PROVIDER       openai | bedrock (default openai): the provider of a step that names none
//   LLM_BASE_URL       base URL of the OpenAI-compatible endpoint (default https://api.openai.com/v1)
//   LLM_API_KEY        bearer key for that endpoint (optional; local fakes and some gateways need none)
//   LLM_API_KEY_SECRET_ARN  instead of LLM_API_KEY on AWS: the Secrets Manager secret holding the key
//                      (read on the first llm call and cached: api-key.ts)
//   LLM_DEFAULT_MODEL  the model of a step that names none (optional; such a step then fails)
import { ConfigurationError } from '../../config';
import type { LlmProviderName } from './provider';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

export interface LlmConfig {
  readonly provider: LlmProviderName;
  readonly baseUrl: string;
  readonly apiKey?: string;
  readonly apiKeySecretArn?: string;
  readonly defaultModel?: string;
}

export function loadLlmConfig(env: Readonly<Record<string, string | undefined>> = process.env): LlmConfig {
  const provider = env.LLM_PROVIDER || 'openai';
  if (provider !== 'openai' && provider !== 'bedrock') {
    throw new ConfigurationError(`LLM_PROVIDER must be "openai" or "bedrock", got "${provider}"`);
  }
  const baseUrl = (env.LLM_BASE_URL || OPENAI_DEFAULT_BASE_URL).replace(/\/+$/, '');
  if (!URL.canParse(baseUrl) || !/^https?:$/.test(new URL(baseUrl).protocol)) {
    throw new ConfigurationError(`LLM_BASE_URL must be an http(s) URL, got "${env.LLM_BASE_URL}"`);
  }
  if (env.LLM_API_KEY && env.LLM_API_KEY_SECRET_ARN) {
    throw new ConfigurationError('Set LLM_API_KEY or LLM_API_KEY_SECRET_ARN, not both');
  }
  return {
    provider,
    baseUrl,
    ...(env.LLM_API_KEY && { apiKey: env.LLM_API_KEY }),
    ...(env.LLM_API_KEY_SECRET_ARN && { apiKeySecretArn: env.LLM_API_KEY_SECRET_ARN }),
    ...(env.LLM_DEFAULT_MODEL && { defaultModel: env.LLM_DEFAULT_MODEL }),
  };
}
