// The one interface the `llm` step action talks to, so a workflow can switch between an OpenAI-compatible
// endpoint and Amazon Bedrock with a param, and tests can substitute a fake.

export type LlmProviderName = 'openai' | 'bedrock';

export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

export interface ChatRequest {
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly maxTokens?: number;
  readonly temperature?: number;
}

export interface ChatResponse {
  readonly text: string;
  /** The model that answered, as the provider reports it. */
  readonly model: string;
  readonly usage: {
    readonly inputTokens: number;
    readonly outputTokens: number;
    /** Input tokens served from the provider's prompt cache, where it reports them. */
    readonly cachedTokens?: number;
  };
  /** Tool calls the model asked for in this response. */
  readonly toolCalls?: number;
  /** Bedrock: the model latency it reports; OpenAI-compatible: wall time of the call, retries included. */
  readonly latencyMs: number;
  readonly provider: LlmProviderName;
  /** Attempts made, when the provider retried itself (the SDK's own retries are not counted). */
  readonly attempts?: number;
  readonly stopReason?: string;
}

export interface LlmProvider {
  readonly name: LlmProviderName;
  chat(request: ChatRequest): Promise<ChatResponse>;
}
