// Dispatches a step to its built-in action and reports what it cost. Each action validates its own params
// with its zod schema (errors name the field); this module only picks the action, shapes the metrics the
// step runner records, and, in createActionRunner, wires the real dependencies once per container.
import { tracer } from '../powertools';
import { UnknownStepType } from './errors';
import { type HttpDeps, type HttpParams, runHttpAction } from './http';
import { createLambdaClient, type InvokeClient, type LambdaParams, runLambdaAction } from './lambda';
import { createBedrockConverseProvider, createBedrockRuntimeClient } from './llm/bedrock-converse';
import { type LlmActionDeps, type LlmParams, runLlmAction } from './llm/llm-action';
import { createOpenAiCompatibleProvider } from './llm/openai-compatible';
import type { LlmProvider, LlmProviderName } from './llm/provider';
import { loadLlmConfig } from './llm/provider-config';
import { OUTBOUND_ALLOWED_HOSTS, parseAllowedHosts } from './outbound/allowed-hosts';
import { runTransformAction, type TransformParams } from './transform';

// Type aliases rather than interfaces so they fit the step runner's `Record<string, unknown>` metrics.
export type LlmCallMetrics = {
  readonly provider: LlmProviderName;
  readonly model: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly latencyMs: number;
};

export type ActionMetrics = {
  /** Attempts inside the action (in-step retries), when the action retries itself. */
  readonly attempts?: number;
  readonly llm?: LlmCallMetrics;
};

export type ActionOutcome = { readonly output: unknown; readonly metrics: ActionMetrics };

export interface ActionDeps {
  /** Outbound allowlist and resolver, sleep, clock and abort signal of the `http` action. */
  readonly http?: HttpDeps;
  readonly llm: LlmActionDeps;
  /** The Lambda client of the `lambda` action, created on first use. */
  readonly lambda: () => InvokeClient;
}

export async function runAction(type: string, params: unknown, deps: ActionDeps): Promise<ActionOutcome> {
  switch (type) {
    case 'http': {
      const output = await runHttpAction(params as HttpParams, deps.http);
      return { output, metrics: { attempts: output.attempts } };
    }
    case 'llm': {
      const { attempts, ...output } = await runLlmAction(params as LlmParams, deps.llm);
      return {
        output,
        metrics: {
          ...(attempts !== undefined && { attempts }),
          llm: {
            provider: output.provider,
            model: output.model,
            inputTokens: output.usage.inputTokens,
            outputTokens: output.usage.outputTokens,
            latencyMs: output.latencyMs,
          },
        },
      };
    }
    case 'transform':
      return { output: await runTransformAction(params as TransformParams), metrics: {} };
    case 'lambda':
      return {
        output: await runLambdaAction(params as LambdaParams, { lambda: deps.lambda() }),
        metrics: {},
      };
    default:
      throw new UnknownStepType(type);
  }
}

/**
 * The step runner's action runner with real dependencies: LLM configuration and the outbound allowlist
 * read from the environment now (so a bad LLM_PROVIDER or OUTBOUND_ALLOWED_HOSTS fails the cold start),
 * SDK clients and LLM providers created on first use.
 */
export function createActionRunner(
  options: {
    readonly env?: Readonly<Record<string, string | undefined>>;
    readonly deps?: Partial<ActionDeps>;
  } = {},
): (type: string, params: unknown) => Promise<ActionOutcome> {
  const config = loadLlmConfig(options.env ?? process.env);
  const outbound = { allowedHosts: parseAllowedHosts((options.env ?? process.env)[OUTBOUND_ALLOWED_HOSTS]) };
  const providers = new Map<LlmProviderName, LlmProvider>();
  const createProvider = (name: LlmProviderName): LlmProvider =>
    name === 'openai'
      ? createOpenAiCompatibleProvider({ baseUrl: config.baseUrl, apiKey: config.apiKey, outbound })
      : createBedrockConverseProvider({ client: tracer.captureAWSv3Client(createBedrockRuntimeClient()) });
  let lambda: InvokeClient | undefined;
  const deps: ActionDeps = {
    http: { outbound },
    llm: {
      defaultProvider: config.provider,
      defaultModel: config.defaultModel,
      provider: (name) => {
        let provider = providers.get(name);
        if (!provider) {
          provider = createProvider(name);
          providers.set(name, provider);
        }
        return provider;
      },
    },
    lambda: () => {
      lambda ??= tracer.captureAWSv3Client(createLambdaClient());
      return lambda;
    },
    ...options.deps,
  };
  return (type, params) => runAction(type, params, deps);
}
