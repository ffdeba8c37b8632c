import {
  AccessDeniedException,
  BedrockRuntimeClient,
  type ConverseCommandInput,
  type ConverseCommandOutput,
  ModelTimeoutException,
  ResourceNotFoundException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { describe, expect, it } from 'vitest';
import { LlmClientError, LlmProviderError } from '../../../../functions/shared/actions/errors';
import {
  type ConverseClient,
  createBedrockConverseProvider,
} from '../../../../functions/shared/actions/llm/bedrock-converse';
import { bedrockRuntimeConfig } from '../../../../functions/shared/clients/bedrock-runtime';

function fakeClient(output: Partial<ConverseCommandOutput> | Error) {
  const sent: { readonly input: ConverseCommandInput }[] = [];
  const send = async (command: { readonly input: ConverseCommandInput }) => {
    sent.push(command);
    if (output instanceof Error) throw output;
    return { $metadata: {}, ...output } as ConverseCommandOutput;
  };
  return { sent, client: { send } as ConverseClient };
}

const answer: Partial<ConverseCommandOutput> = {
  output: { message: { role: 'assistant', content: [{ text: 'Paris is sunny.' }] } },
  usage: { inputTokens: 12, outputTokens: 4, totalTokens: 16 },
  metrics: { latencyMs: 321 },
  stopReason: 'end_turn',
};

describe('Bedrock Converse provider', () => {
  it('sends system prompts apart from messages, with the inference config', async () => {
    const { client, sent } = fakeClient(answer);
    await createBedrockConverseProvider({ client }).chat({
      model: 'anthropic.claude-3-haiku-20240307-v1:0',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather in Paris?' },
      ],
      maxTokens: 100,
      temperature: 0.3,
    });
    expect(sent[0]?.input).toEqual({
      modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
      messages: [{ role: 'user', content: [{ text: 'Weather in Paris?' }] }],
      system: [{ text: 'Be brief.' }],
      inferenceConfig: { maxTokens: 100, temperature: 0.3 },
    });
  });

  it('omits system and inferenceConfig when the request has none', async () => {
    const { client, sent } = fakeClient(answer);
    await createBedrockConverseProvider({ client }).chat({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(sent[0]?.input).toEqual({ modelId: 'm', messages: [{ role: 'user', content: [{ text: 'hi' }] }] });
  });

  it('maps the text, token usage and latency Bedrock reports', async () => {
    const { client } = fakeClient(answer);
    const response = await createBedrockConverseProvider({ client }).chat({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(response).toEqual({
      text: 'Paris is sunny.',
      model: 'm',
      provider: 'bedrock',
      usage: { inputTokens: 12, outputTokens: 4, cachedTokens: 0 },
      toolCalls: 0,
      latencyMs: 321,
      stopReason: 'end_turn',
    });
  });

  it('reports the input tokens read from the prompt cache and the tool calls asked for', async () => {
    const { client } = fakeClient({
      ...answer,
      output: {
        message: {
          role: 'assistant',
          content: [{ text: 'Checking.' }, { toolUse: { toolUseId: 't1', name: 'weather', input: {} } }],
        },
      },
      usage: { inputTokens: 12, outputTokens: 4, totalTokens: 16, cacheReadInputTokens: 10 },
    });
    const response = await createBedrockConverseProvider({ client }).chat({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(response.usage).toEqual({ inputTokens: 12, outputTokens: 4, cachedTokens: 10 });
    expect(response.toolCalls).toBe(1);
  });

  it('skips a reasoning block before the text', async () => {
    const { client } = fakeClient({
      ...answer,
      output: {
        message: {
          role: 'assistant',
          content: [{ reasoningContent: { reasoningText: { text: 'thinking…' } } }, { text: 'Answer.' }],
        },
      },
    });
    const response = await createBedrockConverseProvider({ client }).chat({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(response.text).toBe('Answer.');
  });

  it('wraps an SDK error in LlmProviderError keeping its name as code', async () => {
    const throttled = new ThrottlingException({
      message: 'Too many requests',
      $metadata: { httpStatusCode: 429 },
    });
    const { client } = fakeClient(throttled);
    const error = await createBedrockConverseProvider({ client })
      .chat({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmProviderError);
    expect(error).toMatchObject({
      name: 'LlmProviderError',
      details: { code: 'ThrottlingException', status: 429 },
      cause: throttled,
    });
  });

  it('names the errors that say the request is wrong LlmClientError, and keeps the transient ones LlmProviderError', async () => {
    const chat = (error: Error) =>
      createBedrockConverseProvider({ client: fakeClient(error).client })
        .chat({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })
        .catch((e: unknown) => e);
    const $metadata = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });
    const deterministic = [
      new ValidationException({ message: 'Malformed input request', ...$metadata(400) }),
      new AccessDeniedException({ message: 'No access to the model', ...$metadata(403) }),
      new ResourceNotFoundException({ message: 'Model not found', ...$metadata(404) }),
    ];
    for (const sdkError of deterministic) {
      const error = await chat(sdkError);
      expect(error, sdkError.name).toBeInstanceOf(LlmClientError);
      expect(error).toMatchObject({
        name: 'LlmClientError',
        details: { code: sdkError.name },
        cause: sdkError,
      });
    }
    const transient = [
      new ThrottlingException({ message: 'Too many requests', ...$metadata(429) }),
      new ServiceUnavailableException({ message: 'Unavailable', ...$metadata(503) }),
      new ModelTimeoutException({ message: 'Model timed out', ...$metadata(408) }),
    ];
    for (const sdkError of transient) {
      const error = await chat(sdkError);
      expect(error, sdkError.name).not.toBeInstanceOf(LlmClientError);
      expect(error).toMatchObject({ name: 'LlmProviderError', details: { code: sdkError.name } });
    }
  });

  it('creates a client that retries 3 times (4 attempts)', async () => {
    const client = new BedrockRuntimeClient(bedrockRuntimeConfig());
    expect(await client.config.maxAttempts()).toBe(4);
    client.destroy();
  });
});
