// The `llm` step action: one chat completion through the configured provider. A step may pick the
// provider and model; otherwise LLM_PROVIDER and LLM_DEFAULT_MODEL (provider-config.ts) decide.
import * as z from '../../zod-mini';
import { InvalidStepParams } from '../errors';
import { parseStepParams } from '../step-params';
import type { ChatMessage, LlmProvider, LlmProviderName } from './provider';

export const LlmParamsSchema = z.strictObject({
  provider: z.optional(z.enum(['openai', 'bedrock'])),
  model: z.optional(z.string().check(z.minLength(1))),
  system: z.optional(z.string().check(z.minLength(1))),
  prompt: z.string().check(z.minLength(1)),
  maxTokens: z.optional(z.int().check(z.gte(1), z.lte(1_000_000))),
  temperature: z.optional(z.number().check(z.gte(0), z.lte(2))),
});

export type LlmParams = z.input<typeof LlmParamsSchema>;

export interface LlmActionDeps {
  /** The provider a step gets when it names none (LLM_PROVIDER). */
  readonly defaultProvider: LlmProviderName;
  /** The model a step gets when it names none (LLM_DEFAULT_MODEL). */
  readonly defaultModel?: string;
  /** The provider instance for a name (created once, on first use). */
  readonly provider: (name: LlmProviderName) => LlmProvider;
}

export interface LlmActionResult {
  readonly text: string;
  readonly model: string;
  readonly provider: LlmProviderName;
  readonly usage: {
    readonly inputTokens: number;
    readonly outputTokens: number;
    readonly cachedTokens?: number;
  };
  readonly latencyMs: number;
  readonly attempts?: number;
  readonly toolCalls?: number;
}

export async function runLlmAction(params: LlmParams, deps: LlmActionDeps): Promise<LlmActionResult> {
  const p = parseStepParams('llm', LlmParamsSchema, params);
  const model = p.model ?? deps.defaultModel;
  if (!model) throw new InvalidStepParams('llm', 'model', 'is required (no LLM_DEFAULT_MODEL is configured)');
  const messages: ChatMessage[] = [
    ...(p.system ? [{ role: 'system' as const, content: p.system }] : []),
    { role: 'user', content: p.prompt },
  ];
  const response = await deps.provider(p.provider ?? deps.defaultProvider).chat({
    model,
    messages,
    ...(p.maxTokens !== undefined && { maxTokens: p.maxTokens }),
    ...(p.temperature !== undefined && { temperature: p.temperature }),
  });
  return {
    text: response.text,
    model: response.model,
    provider: response.provider,
    usage: response.usage,
    latencyMs: response.latencyMs,
    ...(response.toolCalls !== undefined && { toolCalls: response.toolCalls }),
    ...(response.attempts !== undefined && { attempts: response.attempts }),
  };
}
