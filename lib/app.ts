// Builds the CDK app: the stepwise stack configured from context, checked by cdk-nag's AWS Solutions
// pack. bin/app.ts runs it for the CLI; the infra tests call it directly, without the CLI.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Node } from 'constructs';
import { type LambdaAllowlist, parseLambdaAllowlist } from '../functions/shared/actions/lambda-allowlist';
import { ConfigurationError, httpUrlSetting } from '../functions/shared/config';
import { loadLlmPrices } from '../functions/shared/telemetry/llm-prices';
import { parseDeadAfterSeconds, parseHeartbeatSeconds } from '../functions/shared/workers/dead-after';
import { parseWorkerTypes } from '../functions/shared/workers/worker-types';
import { parseAlertEmailSeverities, parseAlertEmails } from './alerting';
import { type LlmSettings, StepwiseStack, type StepwiseStackProps } from './stepwise-stack';

/** The stack's name when the `stackName` context value does not set one. */
export const DEFAULT_STACK_NAME = 'Stepwise';

export interface BuiltApp {
  readonly app: App;
  readonly stack: StepwiseStack;
  /** The cdk-nag pack registered on the app (its `validateScope` lists unacknowledged findings). */
  readonly nag: AwsSolutionsChecks;
}

function contextString(node: Node, key: string): string | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new ConfigurationError(`Context value ${key} must be a string`);
  return value.trim() || undefined;
}

/**
 * Stack settings from context (`cdk synth -c key=value` or cdk.json):
 * stackName, alertEmails (comma-separated), alertEmailSeverities (comma-separated; CRITICAL,WARNING by default), jwtIssuer, jwtAudience, jwtJwksUri, jwtGroupsClaim, jwtOrgClaim,
 * jwtRoleClaim, llmProvider, llmBaseUrl, llmDefaultModel, llmApiKeySecret (secret name or ARN),
 * outboundAllowedHosts (comma-separated `host` or `host:port`),
 * lambdaFunctions (JSON: `{"<orgId>": ["arn:aws:lambda:<region>:<account>:function:<name>"]}`),
 * llmPrices (JSON: `{"<provider>:<model>": {"input": 2.5, "output": 10, "cachedInput": 1.25}}`, USD per 1M tokens).
 * logLevel (INFO by default), logSampleRate (0-1, debug-log sampling; 0 by default),
 * metricsWorkflows (comma-separated workflow ids with an EMF dimension of their own; at most 20),
 * workerTypes (JSON or, in cdk.json, a list: `[{"name": "research", "orgs": []}]`; empty orgs = every org).
 * workerDeadAfterSeconds (seconds without a heartbeat before a worker is DEAD; 300 by default), at least
 * twice workerHeartbeatSeconds (the interval the deployment's workers heartbeat at; 30 by default, the SDK's).
 * consoleUrl (base URL of a console; alerts link to `<consoleUrl>/alerts/<id>`).
 * tracing (true or false: X-Ray active tracing and the Powertools Tracer; false by default).
 * cognitoDomain (Cognito hosted UI domain URL the deployed console signs in with; needs jwtIssuer/jwtAudience).
 */
export function stackPropsFromContext(node: Node): StepwiseStackProps {
  // A bad address or severity fails the synth, naming the setting.
  const rawEmails = contextString(node, 'alertEmails');
  const alertEmails = rawEmails === undefined ? undefined : parseAlertEmails(rawEmails, 'alertEmails');
  const rawSeverities = contextString(node, 'alertEmailSeverities');
  const alertEmailSeverities =
    rawSeverities === undefined
      ? undefined
      : parseAlertEmailSeverities(rawSeverities, 'alertEmailSeverities');
  const outboundAllowedHosts = contextString(node, 'outboundAllowedHosts')
    ?.split(',')
    .map((host) => host.trim())
    .filter(Boolean);
  const llm: LlmSettings = {
    ...optional('provider', contextString(node, 'llmProvider')),
    ...optional('baseUrl', httpUrlSetting(contextString(node, 'llmBaseUrl'), 'llmBaseUrl')),
    ...optional('defaultModel', contextString(node, 'llmDefaultModel')),
    ...optional('apiKeySecret', contextString(node, 'llmApiKeySecret')),
    ...contextLlmPrices(node),
  };
  const lambdaFunctions = contextLambdaFunctions(node);
  const metricsWorkflows = contextString(node, 'metricsWorkflows')
    ?.split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  const rawSampleRate: unknown = node.tryGetContext('logSampleRate');
  const logSampleRate =
    rawSampleRate === undefined || rawSampleRate === null || rawSampleRate === ''
      ? undefined
      : Number(rawSampleRate);
  return {
    ...(alertEmails && { alertEmails }),
    ...(alertEmailSeverities && { alertEmailSeverities }),
    ...optional('jwtIssuer', contextString(node, 'jwtIssuer')),
    ...optional('jwtAudience', contextString(node, 'jwtAudience')),
    ...optional('jwtJwksUri', contextString(node, 'jwtJwksUri')),
    ...optional('jwtGroupsClaim', contextString(node, 'jwtGroupsClaim')),
    ...optional('jwtOrgClaim', contextString(node, 'jwtOrgClaim')),
    ...optional('jwtRoleClaim', contextString(node, 'jwtRoleClaim')),
    llm,
    ...(outboundAllowedHosts?.length && { outboundAllowedHosts }),
    ...(lambdaFunctions && { lambdaFunctions }),
    ...optional('logLevel', contextString(node, 'logLevel')),
    ...(logSampleRate !== undefined && { logSampleRate }),
    ...(metricsWorkflows?.length && { metricsWorkflows }),
    ...contextWorkerTypes(node),
    ...contextDeadAfter(node),
    ...optional('consoleUrl', contextString(node, 'consoleUrl')),
    ...contextTracing(node),
    ...optional('cognitoDomain', contextString(node, 'cognitoDomain')),
  };
}

/** `-c tracing=true` (or `true` in cdk.json); anything but true or false fails the synth. */
function contextTracing(node: Node): { tracing?: boolean } {
  const value: unknown = node.tryGetContext('tracing');
  if (value === undefined || value === null || value === '') return {};
  if (value === true || value === 'true') return { tracing: true };
  if (value === false || value === 'false') return { tracing: false };
  throw new ConfigurationError(`Context value tracing must be true or false, not ${JSON.stringify(value)}`);
}

/** `-c lambdaFunctions='{"org-a":["arn:..."]}'` (a JSON string) or the same object in cdk.json. */
function contextLambdaFunctions(node: Node): LambdaAllowlist | undefined {
  const value: unknown = node.tryGetContext('lambdaFunctions');
  if (value === undefined || value === null || value === '') return undefined;
  const json = typeof value === 'string' ? value : JSON.stringify(value);
  return parseLambdaAllowlist(json, 'Context value lambdaFunctions');
}

/** `-c llmPrices='{"openai:gpt-4o":{"input":2.5,"output":10}}'` (a JSON string) or the same object in cdk.json. */
function contextLlmPrices(node: Node): Pick<LlmSettings, 'prices'> {
  const value: unknown = node.tryGetContext('llmPrices');
  if (value === undefined || value === null || value === '') return {};
  const json = typeof value === 'string' ? value : JSON.stringify(value);
  // Validated as the step runner will read it; only the deployment's own entries go into the template.
  loadLlmPrices(json);
  return { prices: JSON.parse(json) as LlmSettings['prices'] };
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

export interface BuildAppOptions {
  /** Context values on top of (and overriding) cdk.json and `-c` values. */
  readonly context?: Record<string, unknown>;
  /**
   * Where the cloud assembly goes.
   * @default - the CLI's output directory, or a temporary directory outside the CLI
   */
  readonly outdir?: string;
  /**
   * Account and region of the stack.
   * @default - CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION when set, else environment-agnostic
   */
  readonly env?: { readonly account?: string; readonly region?: string };
  /**
   * Whether synthesis also validates the templates against the CloudFormation resource schemas
   * (several seconds; the infra tests turn it off except in the test that checks it).
   * @default true
   */
  readonly builtinCloudFormationValidation?: boolean;
}

/** The app with its one stack, checked by the AWS Solutions pack at synthesis. */
export function buildApp(options: BuildAppOptions = {}): BuiltApp {
  const app = new App({
    ...(options.outdir && { outdir: options.outdir }),
    ...(options.context && { context: options.context }),
    ...(options.builtinCloudFormationValidation !== undefined && {
      builtinCloudFormationValidation: options.builtinCloudFormationValidation,
    }),
  });
  const account = options.env ? options.env.account : process.env.CDK_DEFAULT_ACCOUNT;
  const region = options.env ? options.env.region : process.env.CDK_DEFAULT_REGION;
  const stack = new StepwiseStack(app, 'Stepwise', {
    stackName: contextString(app.node, 'stackName') ?? DEFAULT_STACK_NAME,
    description: 'stepwise: agent and LLM workflows on Step Functions, with their API and telemetry',
    ...((account || region) && { env: { account, region } }),
    ...stackPropsFromContext(app.node),
  });
  const nag = new AwsSolutionsChecks(app);
  Validations.of(app).addPlugins(nag);
  return { app, stack, nag };
}

/** `-c workerTypes='[{"name":"research","orgs":[]}]'` (a JSON string) or the same list in cdk.json. */
function contextWorkerTypes(node: Node): Pick<StepwiseStackProps, 'workerTypes'> {
  const raw: unknown = node.tryGetContext('workerTypes');
  if (raw === undefined || raw === null || raw === '') return {};
  return { workerTypes: parseWorkerTypes(raw, 'workerTypes') };
}

/** `-c workerDeadAfterSeconds=120 -c workerHeartbeatSeconds=10` (strings) or numbers in cdk.json. */
function contextDeadAfter(
  node: Node,
): Pick<StepwiseStackProps, 'workerDeadAfterSeconds' | 'workerHeartbeatSeconds'> {
  const present = (raw: unknown) => raw !== undefined && raw !== null && raw !== '';
  const deadAfter: unknown = node.tryGetContext('workerDeadAfterSeconds');
  const heartbeat: unknown = node.tryGetContext('workerHeartbeatSeconds');
  return {
    ...(present(deadAfter) && {
      workerDeadAfterSeconds: parseDeadAfterSeconds(deadAfter, 'workerDeadAfterSeconds'),
    }),
    ...(present(heartbeat) && {
      workerHeartbeatSeconds: parseHeartbeatSeconds(heartbeat, 'workerHeartbeatSeconds'),
    }),
  };
}
