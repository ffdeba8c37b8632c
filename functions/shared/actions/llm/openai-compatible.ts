// LLM provider for any OpenAI-compatible chat-completions endpoint (OpenAI, Azure/OpenRouter/LiteLLM
// gateways, vLLM, Ollama, local/fake-llm.ts): POST <baseUrl>/chat/completions, retried with backoff on
// 429, 5xx and timeouts through the shared fetchWithRetry. The base URL is deployment configuration, so
// its host:port is allowlisted for the outbound-address guard; a redirect elsewhere is checked as usual.
import * as z from '../../zod-mini';
import { isClientErrorStatus, LlmClientError, LlmProviderError, OutboundAddressRefused } from '../errors';
import { fetchWithRetry, type HttpDeps, type RetryParams } from '../http';
import { allowedHostOf } from '../outbound/allowed-hosts';
import type { ChatRequest, ChatResponse, LlmProvider } from './provider';

const DEFAULT_TIMEOUT_MS = 120_000;
const MAX_RESPONSE_BYTES = 10 * 1024 * 1024;

export interface OpenAiCompatibleOptions extends HttpDeps {
  /** e.g. https://api.openai.com/v1 (no trailing /chat/completions). */
  readonly baseUrl: string;
  /** Sent as `Authorization: Bearer <key>`; a function is called per request (e.g. a cached secret). */
  readonly apiKey?: string | (() => Promise<string | undefined>);
  /** Per attempt. @default 120000 */
  readonly timeoutMs?: number;
  readonly retry?: RetryParams;
}

const CompletionSchema = z.object({
  model: z.optional(z.string()),
  choices: z
    .array(
      z.object({
        message: z.object({
          content: z.nullish(z.string()),
          tool_calls: z.nullish(z.array(z.unknown())),
        }),
        finish_reason: z.nullish(z.string()),
      }),
    )
    .check(z.minLength(1)),
  usage: z.nullish(
    z.object({
      prompt_tokens: z.optional(z.number()),
      completion_tokens: z.optional(z.number()),
      prompt_tokens_details: z.nullish(z.object({ cached_tokens: z.optional(z.number()) })),
    }),
  ),
});

const ErrorBodySchema = z.object({
  error: z.object({ message: z.optional(z.string()), type: z.nullish(z.string()), code: z.unknown() }),
});

export function createOpenAiCompatibleProvider(options: OpenAiCompatibleOptions): LlmProvider {
  const endpoint = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  const deps: HttpDeps = {
    ...options,
    outbound: {
      ...options.outbound,
      allowedHosts: [...(options.outbound?.allowedHosts ?? []), allowedHostOf(new URL(endpoint))],
      // The deployment's own endpoint, called at every llm attempt: its connections are kept.
      keepAlive: true,
    },
  };
  return {
    name: 'openai',
    async chat(request: ChatRequest): Promise<ChatResponse> {
      const apiKey = typeof options.apiKey === 'function' ? await options.apiKey() : options.apiKey;
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        accept: 'application/json',
      };
      if (apiKey) headers.authorization = `Bearer ${apiKey}`;
      const body = {
        model: request.model,
        messages: request.messages.map(({ role, content }) => ({ role, content })),
        ...(request.maxTokens !== undefined && { max_tokens: request.maxTokens }),
        ...(request.temperature !== undefined && { temperature: request.temperature }),
      };
      let response: Awaited<ReturnType<typeof fetchWithRetry>>;
      try {
        response = await fetchWithRetry(
          {
            url: endpoint,
            init: { method: 'POST', headers, body: JSON.stringify(body) },
            timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
            retry: options.retry,
            maxBodyBytes: MAX_RESPONSE_BYTES,
          },
          deps,
        );
      } catch (error) {
        if (error instanceof OutboundAddressRefused) throw error;
        const message = error instanceof Error ? error.message : String(error);
        const code = error instanceof Error ? error.name : undefined;
        const attempts = (error as { attempts?: unknown } | undefined)?.attempts;
        throw new LlmProviderError(
          'openai',
          message,
          { code, ...(typeof attempts === 'number' && { attempts }) },
          { cause: error },
        );
      }
      const { status, attempts } = response;
      const json = parseJson(response.text);
      if (status < 200 || status >= 300) {
        const detail = ErrorBodySchema.safeParse(json);
        const message = detail.success ? detail.data.error.message : response.text.slice(0, 300);
        const code = detail.success ? String(detail.data.error.code ?? detail.data.error.type ?? '') : '';
        const Failure = isClientErrorStatus(status) ? LlmClientError : LlmProviderError;
        throw new Failure('openai', `HTTP ${status} from ${endpoint}: ${message || 'no detail'}`, {
          status,
          attempts,
          ...(code && { code }),
        });
      }
      const completion = CompletionSchema.safeParse(json);
      if (!completion.success) {
        throw new LlmProviderError('openai', `Unexpected chat completion response from ${endpoint}`, {
          status,
          attempts,
          code: 'InvalidResponse',
        });
      }
      const [choice] = completion.data.choices;
      return {
        text: choice?.message.content ?? '',
        model: completion.data.model ?? request.model,
        usage: {
          inputTokens: completion.data.usage?.prompt_tokens ?? 0,
          outputTokens: completion.data.usage?.completion_tokens ?? 0,
          cachedTokens: completion.data.usage?.prompt_tokens_details?.cached_tokens ?? 0,
        },
        toolCalls: choice?.message.tool_calls?.length ?? 0,
        latencyMs: response.durationMs,
        provider: 'openai',
        attempts,
        ...(choice?.finish_reason && { stopReason: choice.finish_reason }),
      };
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
