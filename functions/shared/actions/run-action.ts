// Dispatches a step to its built-in action and reports what it cost. Each action validates its own params
// with its zod schema (errors name the field); this module only picks the action, shapes the metrics the
// step runner records, and, in createActionRunner, wires the real dependencies once per container.

import { createBedrockRuntimeClient } from '../clients/bedrock-runtime';
import { createLambdaClient } from '../clients/lambda';
import type { SecretsGetter } from '../secrets';
import { UnknownStepType } from './errors';
import { type HttpDeps, type HttpParams, runHttpAction } from './http';
import { type InvokeClient, type LambdaParams, runLambdaAction } from './lambda';
import { type LambdaAllowlist, loadLambdaAllowlist } from './lambda-allowlist';
import { llmApiKey } from './llm/api-key';
import { createBedrockConverseProvider } from './llm/bedrock-converse';
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
  /** Input tokens served from the provider's prompt cache (0 when it reports none). */
  readonly cachedTokens: number;
  readonly toolCalls: number;
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
  /** The functions each org's `lambda` steps may invoke (LAMBDA_FUNCTIONS). */
  readonly lambdaFunctions: LambdaAllowlist;
}

/** What an action knows of the task it runs for. */
export interface ActionContext {
  readonly orgId: string;
}

export async function runAction(
  type: string,
  params: unknown,
  deps: ActionDeps,
  context: ActionContext,
): Promise<ActionOutcome> {
  switch (type) {
    case 'http': {
      const output = await runHttpAction(params as HttpParams, deps.http);
      return { output, metrics: { attempts: output.attempts } };
    }
    case 'llm': {
      const { attempts, toolCalls, ...output } = await runLlmAction(params as LlmParams, deps.llm);
      return {
        output,
        metrics: {
          ...(attempts !== undefined && { attempts }),
          llm: {
            provider: output.provider,
            model: output.model,
            inputTokens: output.usage.inputTokens,
            outputTokens: output.usage.outputTokens,
            cachedTokens: output.usage.cachedTokens ?? 0,
            toolCalls: toolCalls ?? 0,
            latencyMs: output.latencyMs,
          },
        },
      };
    }
    case 'transform':
      return { output: await runTransformAction(params as TransformParams), metrics: {} };
    case 'lambda':
      return {
        output: await runLambdaAction(params as LambdaParams, {
          lambda: deps.lambda(),
          allowlist: deps.lambdaFunctions,
          orgId: context.orgId,
        }),
        metrics: {},
      };
    default:
      throw new UnknownStepType(type);
  }
}

/**
 * The step runner's action runner with real dependencies: LLM configuration, the outbound allowlist and
 * the lambda allowlist read from the environment now (so a bad value fails the cold start), SDK clients
 * and LLM providers created on first use.
 */
export function createActionRunner(
  options: {
    readonly env?: Readonly<Record<string, string | undefined>>;
    readonly deps?: Partial<ActionDeps>;
    /** Where LLM_API_KEY_SECRET_ARN is read. @default secretsManager (../secrets.ts) */
    readonly secrets?: () => SecretsGetter;
  } = {},
): (type: string, params: unknown, context: ActionContext) => Promise<ActionOutcome> {
  const env = options.env ?? process.env;
  const config = loadLlmConfig(env);
  const outbound = { allowedHosts: parseAllowedHosts(env[OUTBOUND_ALLOWED_HOSTS]) };
  const apiKey = llmApiKey(config, options.secrets);
  const providers = new Map<LlmProviderName, LlmProvider>();
  const createProvider = (name: LlmProviderName): LlmProvider =>
    name === 'openai'
      ? createOpenAiCompatibleProvider({ baseUrl: config.baseUrl, apiKey, outbound })
      : createBedrockConverseProvider({ client: createBedrockRuntimeClient() });
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
      lambda ??= createLambdaClient();
      return lambda;
    },
    lambdaFunctions: loadLambdaAllowlist(env),
    ...options.deps,
  };
  return (type, params, context) => runAction(type, params, deps, context);
}
