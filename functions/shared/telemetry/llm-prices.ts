// What an LLM call costs, estimated from a per-model price table: documented list prices in US dollars per
// million tokens (input, output, and cached input where the provider discounts prompt-cache hits), as
// published by OpenAI and on the Amazon Bedrock pricing page (on-demand, us-east-1) in 2025. A deployment
// overrides or extends the table with LLM_PRICES (CDK context `llmPrices`), a JSON object of the same
// shape keyed `<provider>:<model>`. A model in neither costs 0: its cost is unknown, not free.

import { ConfigurationError } from '../config';
import * as z from '../zod-mini';

export const PriceSchema = z.strictObject({
  /** USD per 1M input tokens not served from the cache. */
  input: z.number().check(z.nonnegative()),
  /** USD per 1M output tokens. */
  output: z.number().check(z.nonnegative()),
  /** USD per 1M input tokens served from the prompt cache. @default input */
  cachedInput: z.optional(z.number().check(z.nonnegative())),
});
export type Price = z.infer<typeof PriceSchema>;
export type PriceTable = Readonly<Record<string, Price>>;

export const DEFAULT_LLM_PRICES: PriceTable = {
  'openai:gpt-4o': { input: 2.5, output: 10, cachedInput: 1.25 },
  'openai:gpt-4o-mini': { input: 0.15, output: 0.6, cachedInput: 0.075 },
  'openai:gpt-4.1': { input: 2, output: 8, cachedInput: 0.5 },
  'openai:gpt-4.1-mini': { input: 0.4, output: 1.6, cachedInput: 0.1 },
  'openai:gpt-4.1-nano': { input: 0.1, output: 0.4, cachedInput: 0.025 },
  'openai:o3': { input: 2, output: 8, cachedInput: 0.5 },
  'openai:o4-mini': { input: 1.1, output: 4.4, cachedInput: 0.275 },
  'openai:gpt-5': { input: 1.25, output: 10, cachedInput: 0.125 },
  'openai:gpt-5-mini': { input: 0.25, output: 2, cachedInput: 0.025 },
  'openai:gpt-5-nano': { input: 0.05, output: 0.4, cachedInput: 0.005 },
  'bedrock:anthropic.claude-sonnet-4-20250514-v1:0': { input: 3, output: 15, cachedInput: 0.3 },
  'bedrock:anthropic.claude-3-7-sonnet-20250219-v1:0': { input: 3, output: 15, cachedInput: 0.3 },
  'bedrock:anthropic.claude-3-5-sonnet-20241022-v2:0': { input: 3, output: 15, cachedInput: 0.3 },
  'bedrock:anthropic.claude-3-5-haiku-20241022-v1:0': { input: 0.8, output: 4, cachedInput: 0.08 },
  'bedrock:anthropic.claude-3-haiku-20240307-v1:0': { input: 0.25, output: 1.25 },
  'bedrock:amazon.nova-pro-v1:0': { input: 0.8, output: 3.2, cachedInput: 0.2 },
  'bedrock:amazon.nova-lite-v1:0': { input: 0.06, output: 0.24, cachedInput: 0.015 },
  'bedrock:amazon.nova-micro-v1:0': { input: 0.035, output: 0.14, cachedInput: 0.00875 },
  'bedrock:meta.llama3-3-70b-instruct-v1:0': { input: 0.72, output: 0.72 },
};

/** The default table with LLM_PRICES (JSON) laid over it; a malformed value fails the cold start. */
export function loadLlmPrices(json: string | undefined): PriceTable {
  if (!json) return DEFAULT_LLM_PRICES;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new ConfigurationError(
      'LLM_PRICES must be JSON: {"<provider>:<model>": {"input", "output", "cachedInput"?}}',
    );
  }
  const result = z.record(z.string().check(z.minLength(1)), PriceSchema).safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ConfigurationError(`LLM_PRICES: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  return { ...DEFAULT_LLM_PRICES, ...result.data };
}

/** Bedrock cross-region inference profiles prefix the model id (`us.anthropic...`); the price is the model's. */
const INFERENCE_PROFILE = /^(?:us|eu|apac|us-gov|global)\./;

export function priceOf(prices: PriceTable, provider: string, model: string): Price | undefined {
  return prices[`${provider}:${model}`] ?? prices[`${provider}:${model.replace(INFERENCE_PROFILE, '')}`];
}

/** Estimated USD of one call's tokens; 0 for a model the table does not know. */
export function costUsd(
  prices: PriceTable,
  usage: { provider: string; model: string; tokensIn: number; tokensOut: number; cachedTokens: number },
): number {
  const price = priceOf(prices, usage.provider, usage.model);
  if (!price) return 0;
  const cached = Math.min(usage.cachedTokens, usage.tokensIn);
  const dollars =
    (usage.tokensIn - cached) * price.input +
    cached * (price.cachedInput ?? price.input) +
    usage.tokensOut * price.output;
  // Micro-dollar precision: sums over many calls stay exact enough and the number stays short.
  return Math.round(dollars) / 1e6;
}
