// LLM provider for Amazon Bedrock through the model-agnostic Converse API. System messages go to
// `system`, the rest to `messages`. Throttling and 5xx are retried by the SDK client itself (standard
// retry mode, `maxAttempts`), so there is no second retry loop here.
import type { ConverseCommandOutput, Message, SystemContentBlock } from '@aws-sdk/client-bedrock-runtime';
import { type BedrockRuntimeClient, ConverseCommand } from '../../clients/bedrock-runtime';
import { LlmClientError, LlmProviderError } from '../errors';
import type { ChatRequest, ChatResponse, LlmProvider } from './provider';

/** The slice of the Bedrock Runtime client (clients/bedrock-runtime.ts) the provider uses, so tests can pass a fake. */
export type ConverseClient = Pick<BedrockRuntimeClient, 'send'>;

export function createBedrockConverseProvider(deps: {
  readonly client: ConverseClient;
  readonly now?: () => number;
}): LlmProvider {
  const now = deps.now ?? Date.now;
  return {
    name: 'bedrock',
    async chat(request: ChatRequest): Promise<ChatResponse> {
      const system: SystemContentBlock[] = request.messages
        .filter((message) => message.role === 'system')
        .map((message) => ({ text: message.content }));
      const messages: Message[] = request.messages
        .filter((message) => message.role !== 'system')
        .map((message) => ({
          role: message.role === 'assistant' ? 'assistant' : 'user',
          content: [{ text: message.content }],
        }));
      const inferenceConfig = {
        ...(request.maxTokens !== undefined && { maxTokens: request.maxTokens }),
        ...(request.temperature !== undefined && { temperature: request.temperature }),
      };
      const command = new ConverseCommand({
        modelId: request.model,
        messages,
        ...(system.length > 0 && { system }),
        ...(Object.keys(inferenceConfig).length > 0 && { inferenceConfig }),
      });
      const startedAt = now();
      let output: ConverseCommandOutput;
      try {
        output = await deps.client.send(command);
      } catch (error) {
        throw toProviderError(error);
      }
      // Reasoning models put a reasoningContent block before the text, so take every text block rather
      // than content[0].
      const text = (output.output?.message?.content ?? [])
        .map((block) => block.text)
        .filter((part): part is string => typeof part === 'string')
        .join('');
      return {
        text,
        model: request.model,
        usage: {
          inputTokens: output.usage?.inputTokens ?? 0,
          outputTokens: output.usage?.outputTokens ?? 0,
          cachedTokens: output.usage?.cacheReadInputTokens ?? 0,
        },
        toolCalls: (output.output?.message?.content ?? []).filter((block) => block.toolUse).length,
        latencyMs: output.metrics?.latencyMs ?? now() - startedAt,
        provider: 'bedrock',
        ...(output.stopReason && { stopReason: output.stopReason }),
      };
    },
  };
}

/**
 * Bedrock errors that say the request itself is wrong (invalid input, no access to the model, no such
 * model), so retrying cannot help. Throttling, ServiceUnavailable, ModelTimeout, ModelNotReady,
 * ServiceQuotaExceeded ("resubmit later") and the rest stay retryable.
 */
const CLIENT_ERRORS = new Set(['ValidationException', 'AccessDeniedException', 'ResourceNotFoundException']);

function toProviderError(error: unknown): LlmProviderError {
  if (!(error instanceof Error)) return new LlmProviderError('bedrock', String(error));
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const Failure = CLIENT_ERRORS.has(error.name) ? LlmClientError : LlmProviderError;
  return new Failure(
    'bedrock',
    `${error.name}: ${error.message}`,
    { code: error.name, ...(status !== undefined && { status }) },
    { cause: error },
  );
}
