import { describe, expect, it } from 'vitest';
import { InvalidStepParams } from '../../../../functions/shared/actions/errors';
import { runLlmAction } from '../../../../functions/shared/actions/llm/llm-action';
import type {
  ChatRequest,
  LlmProvider,
  LlmProviderName,
} from '../../../../functions/shared/actions/llm/provider';

function fakeProviders() {
  const calls: { provider: LlmProviderName; request: ChatRequest }[] = [];
  const make = (name: LlmProviderName): LlmProvider => ({
    name,
    chat: async (request) => {
      calls.push({ provider: name, request });
      return {
        text: `${name} says hi`,
        model: request.model,
        usage: { inputTokens: 3, outputTokens: 2 },
        latencyMs: 10,
        provider: name,
      };
    },
  });
  return { calls, provider: make };
}

describe('runLlmAction', () => {
  it('uses the default provider and model, sending the system prompt first', async () => {
    const fake = fakeProviders();
    const result = await runLlmAction(
      { system: 'Be brief.', prompt: 'Hello', maxTokens: 50, temperature: 0 },
      { defaultProvider: 'openai', defaultModel: 'gpt-default', provider: fake.provider },
    );
    expect(result).toEqual({
      text: 'openai says hi',
      model: 'gpt-default',
      provider: 'openai',
      usage: { inputTokens: 3, outputTokens: 2 },
      latencyMs: 10,
    });
    expect(fake.calls[0]?.request).toEqual({
      model: 'gpt-default',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello' },
      ],
      maxTokens: 50,
      temperature: 0,
    });
  });

  it('lets a step choose the provider and model', async () => {
    const fake = fakeProviders();
    const result = await runLlmAction(
      { provider: 'bedrock', model: 'anthropic.claude-3-haiku', prompt: 'Hello' },
      { defaultProvider: 'openai', provider: fake.provider },
    );
    expect(result).toMatchObject({ provider: 'bedrock', model: 'anthropic.claude-3-haiku' });
    expect(fake.calls[0]?.request.messages).toEqual([{ role: 'user', content: 'Hello' }]);
  });

  it.each([
    [{ prompt: 'x' }, 'model'],
    [{ model: 'm' }, 'prompt'],
    [{ model: 'm', prompt: 'x', provider: 'azure' }, 'provider'],
    [{ model: 'm', prompt: 'x', temperature: 5 }, 'temperature'],
    [{ model: 'm', prompt: 'x', maxTokens: 0 }, 'maxTokens'],
  ])('rejects %j naming the field %s', async (params, field) => {
    const error = await runLlmAction(params as never, {
      defaultProvider: 'openai',
      provider: fakeProviders().provider,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidStepParams);
    expect(error).toMatchObject({ name: 'InvalidStepParams', field });
  });
});
