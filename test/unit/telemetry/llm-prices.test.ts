// The LLM price table: list prices by model, LLM_PRICES overrides, unknown models cost 0.
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../functions/shared/config';
import { costUsd, DEFAULT_LLM_PRICES, loadLlmPrices } from '../../../functions/shared/telemetry/llm-prices';

const usage = {
  provider: 'openai',
  model: 'gpt-4o',
  tokensIn: 1_000_000,
  tokensOut: 1_000_000,
  cachedTokens: 0,
};

describe('LLM prices', () => {
  it('prices input, output and cached input per million tokens', () => {
    expect(costUsd(DEFAULT_LLM_PRICES, usage)).toBe(12.5);
    expect(costUsd(DEFAULT_LLM_PRICES, { ...usage, cachedTokens: 1_000_000 })).toBe(11.25);
  });

  it('prices a Bedrock inference profile as its model', () => {
    const claude = { ...usage, provider: 'bedrock', model: 'us.anthropic.claude-3-5-haiku-20241022-v1:0' };
    expect(costUsd(DEFAULT_LLM_PRICES, claude)).toBe(4.8);
  });

  it('costs 0 for a model the table does not know', () => {
    expect(costUsd(DEFAULT_LLM_PRICES, { ...usage, model: 'my-own-model' })).toBe(0);
  });

  it('lets LLM_PRICES override and extend the table', () => {
    const prices = loadLlmPrices(
      JSON.stringify({ 'openai:gpt-4o': { input: 1, output: 2 }, 'openai:mine': { input: 3, output: 0 } }),
    );
    expect(costUsd(prices, usage)).toBe(3);
    expect(costUsd(prices, { ...usage, model: 'mine' })).toBe(3);
    expect(costUsd(prices, { ...usage, model: 'gpt-4o-mini' })).toBe(0.75);
  });

  it('fails with the variable name on a malformed LLM_PRICES', () => {
    expect(() => loadLlmPrices('{')).toThrow(ConfigurationError);
    expect(() => loadLlmPrices('{"openai:x": {"input": -1, "output": 1}}')).toThrow(
      /LLM_PRICES: openai:x.input/,
    );
  });
});
