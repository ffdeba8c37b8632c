// The embedded local stack: every emulator on loopback, the real handlers wired to them the way the CDK
// stack wires them on AWS, all in this process. `npm start` and the integration tests both start it here.
import './powertools-environment';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import { parseLambdaAllowlist } from '../functions/shared/actions/lambda-allowlist';
import { parseAllowedHosts } from '../functions/shared/actions/outbound/allowed-hosts';
import { API_BASE_URL_ENV } from '../functions/shared/alerts/alert-links-config';
import { ALERT_SECRET_PREFIX_ENV } from '../functions/shared/alerts/channel-secrets';
import { ALERT_CONSOLE_ENV } from '../functions/shared/alerts/notifier-config';
import { DLQ_URLS_ENV } from '../functions/shared/alerts/rules/dlq-urls';
import { LeanDocumentClient } from '../functions/shared/clients/dynamodb';
import { registerInProcessTransport } from '../functions/shared/clients/in-process-transport';
import { SETTLING_EXECUTION_STATUSES } from '../functions/shared/executions/execution-status-event';
import {
  AUTHORIZER_HANDLER,
  EXECUTION_STATUS_HANDLER,
  FUNCTIONS,
  LIVE_API,
  ROUTES,
  SCHEDULES,
  SUBSCRIPTIONS,
} from '../functions/shared/resources';
import { loadLlmPrices } from '../functions/shared/telemetry/llm-prices';
import { logEnvironment, parseLogSettings } from '../functions/shared/telemetry/log-settings';
import { DEAD_AFTER_ENV } from '../functions/shared/workers/dead-after';
import {
  WORKER_QUEUE_URL_PREFIX_ENV,
  WORKER_TYPES_ENV,
  type WorkerTypeDeclaration,
  workerTypesEnvironment,
} from '../functions/shared/workers/worker-types';
import { createApiGatewayServer } from './api-gateway';
import { createConsoleAssets } from './console-assets';
import { CONSOLE_DIST_DIR } from './console-build';
import { ensureCursorKey } from './cursor-key';
import { type DevCredentials, ensureDevCredentials } from './dev-credentials';
import { type DynamoDbMeters, startDynamoDb } from './dynamodb';
import type { MeteredReadUnits } from './dynamodb-read-meter';
import type { MeteredReads, MeteredWrite } from './dynamodb-write-meter';
import { retainedExecutions } from './execution-retention';
import { FAKE_LLM_MODEL, startFakeLlm } from './fake-llm';
import { startLambdaEndpoint } from './lambda-endpoint';
import { LambdaRuntime, localFunctionName } from './lambda-runtime';
import { closeServer, listen, portIfFree } from './listen';
import { startMessaging } from './messaging';
import { startSchedules } from './schedules';
import { startSecretsManager } from './secrets-manager';
import { LOCAL_AWS, LOCAL_LLM_PRICES } from './settings';
import { bindingPort, lockDataDir, markDataDirStopping, refuseTakenPorts } from './startup-conflicts';
import { startStepFunctionsLocal } from './stepfunctions/server';
import { startSubscriptions } from './subscriptions';
import { localSweepSettings, withSweepRate } from './sweep-settings';
import { reapExpiredItems, startTtlReaper } from './ttl-reaper';
import { attachWebSocketGateway, type LocalWebSocketGateway, livePostTransport } from './websocket-gateway';
import { localWorkerTypes } from './worker-types';

export interface LocalStackOptions {
  /** Where dynalite, fauxqs and Step Functions keep their data. */
  readonly dataDir: string;
  /** API port; 0 picks a free one. */
  readonly apiPort: number;
  /** Ports of the emulators; 0 (the default): the data folder's last ones when free, else free ones. */
  readonly ports?: {
    readonly dynamodb?: number;
    readonly messaging?: number;
    readonly stepfunctions?: number;
  };
  /** OpenAI-compatible endpoint for `llm` steps. @default a deterministic fake served by the stack */
  readonly llmBaseUrl?: string;
  /**
   * The model of an `llm` step that names none (LLM_DEFAULT_MODEL of the step runner).
   * @default the fake LLM's model (FAKE_LLM_MODEL) when the stack serves the fake; none with `llmBaseUrl`,
   * as on AWS without `llmDefaultModel` (such a step then fails with InvalidStepParams)
   */
  readonly llmDefaultModel?: string;
  /**
   * Functions each org's `lambda` steps may invoke, as the JSON of LAMBDA_FUNCTIONS
   * (`{"<orgId>": ["arn:aws:lambda:...:function:<name>"]}`). @default process.env.LAMBDA_FUNCTIONS, else none
   */
  readonly lambdaFunctions?: string;
  /**
   * Hosts (`host` or `host:port`, comma-separated) that `http` steps may reach although they resolve to
   * loopback or private addresses, e.g. a mock server of your own. The fake LLM is always allowed.
   * @default process.env.OUTBOUND_ALLOWED_HOSTS, else none
   */
  readonly outboundAllowedHosts?: string;
  /** LLM_PRICES (JSON) of the step runner. @default process.env.LLM_PRICES, else LOCAL_LLM_PRICES */
  readonly llmPrices?: string;
  /**
   * Whether the SCHEDULES (the reconciler every minute) run on their timers, and the deletion of expired
   * items (ttl-reaper.ts) on its own. The integration tests turn them off and invoke those handlers
   * themselves, so a background run cannot race a test for its tasks.
   * @default true
   */
  readonly schedules?: boolean;
  /** Log level of the handlers (Powertools). @default 'WARN' */
  readonly logLevel?: string;
  /**
   * Share of invocations (0-1) the handlers log at DEBUG whatever the level (Powertools sampling).
   * @default process.env.POWERTOOLS_LOGGER_SAMPLE_RATE, else 0 (off)
   */
  readonly logSampleRate?: number | string;
  /**
   * The worker types `agent` steps may name (each gets a queue and DLQ): a list of `{name, orgs}` or its
   * JSON. @default process.env.STEPWISE_WORKER_TYPES, else the `workerTypes` context of cdk.json
   */
  readonly workerTypes?: string | readonly WorkerTypeDeclaration[];
  /**
   * Seconds without a heartbeat before a worker is DEAD (WORKER_DEAD_AFTER_SECONDS of the handlers).
   * @default process.env.STEPWISE_WORKER_DEAD_AFTER_SECONDS, else 300
   */
  readonly workerDeadAfterSeconds?: number | string;
  /**
   * Seconds between the heartbeats of the stack's workers (`stepwise worker` heartbeats at it unless
   * given --heartbeat); the dead-after must be longer.
   * @default process.env.STEPWISE_WORKER_HEARTBEAT_SECONDS, else 30 (the SDK's default)
   */
  readonly workerHeartbeatSeconds?: number | string;
  /**
   * Period of the sweeper's timer in seconds (on AWS: every minute).
   * @default process.env.STEPWISE_SWEEP_SECONDS, else 5
   */
  readonly sweepSeconds?: number | string;
  /**
   * Ended Step Functions executions kept; the oldest-ended beyond it are dropped.
   * @default process.env.STEPWISE_RETAINED_EXECUTIONS, else 10,000
   */
  readonly retainedExecutions?: number | string;
  /**
   * The DynamoDB meters to run (what `dynamodbWrites()`, `dynamodbReads()` and `dynamodbReadUnits()` read:
   * the benchmarks and the write-budget test). Each costs CPU per request and memory for as long as the
   * stack runs. @default none
   */
  readonly meterDynamoDb?: DynamoDbMeters;
  /**
   * Whether the Lambda runtime keeps a record of every invocation (`runtime.meter`: the bench's cost table).
   * @default false
   */
  readonly meterInvocations?: boolean;
  /**
   * Whether the handlers' lean AWS clients reach the emulators in this process, without HTTP
   * (functions/shared/clients/in-process-transport.ts); other clients go over HTTP either way. @default true
   */
  readonly inProcessTransports?: boolean;
  readonly log?: (message: string, error?: unknown) => void;
}

/** Written to `<dataDir>/endpoints.json` for tests, the CLI and AWS SDK configuration. */
export interface LocalEndpoints {
  readonly api: string;
  /** The WebSocket API of live updates (`ws://<api host>/live`). */
  readonly live: string;
  readonly dynamodb: string;
  readonly sqs: string;
  readonly sns: string;
  readonly stepfunctions: string;
  readonly region: string;
  readonly accountId: string;
  readonly tableName: string;
  readonly queueUrls: Record<string, string>;
  /** Worker type -> the URL of its queue. */
  readonly workerQueueUrls: Record<string, string>;
  /** The interval the stack's workers heartbeat at (its dead-after is longer). */
  readonly workerHeartbeatSeconds: number;
  /** The Lambda Invoke API of the stack's functions (workers call agentReports through it). */
  readonly lambda: string;
  /** The local Secrets Manager (alert channel secrets). */
  readonly secretsmanager: string;
  /** The name workers invoke the agent-attempt recorder by. */
  readonly agentReportsFunction: string;
  readonly topicArns: Record<string, string>;
  /** The environment a Lambda of the stack sees; export it to point the AWS CLI or SDK here. */
  readonly environment: Record<string, string>;
}

export interface LocalStack {
  readonly endpoints: LocalEndpoints;
  readonly runtime: LambdaRuntime;
  /** The default organization's OWNER key, also in `<dataDir>/dev-credentials.json`. */
  readonly credentials: DevCredentials;
  /**
   * Endpoints whose port of the data folder's last run was taken, so they listen elsewhere now
   * (`dynamodb 40811 -> 34453`): a worker started against that run must be restarted.
   */
  readonly movedEndpoints: readonly string[];
  /** DynamoDB requests served so far, by operation. */
  dynamodbRequests(): Record<string, number>;
  /** DynamoDB writes served so far, with item kind and consumed WCU (needs `meterDynamoDb.writes`). */
  dynamodbWrites(): readonly MeteredWrite[];
  /** DynamoDB items read so far, by read operation (needs `meterDynamoDb.reads`). */
  dynamodbReads(): MeteredReads;
  /** DynamoDB read units (RCU) consumed so far, by read operation (needs `meterDynamoDb.reads`). */
  dynamodbReadUnits(): MeteredReadUnits;
  stop(): Promise<void>;
}

export const ENDPOINTS_FILE = 'endpoints.json';

/** The endpoints a data folder's last run wrote, if any. */
async function previousEndpoints(dataDir: string): Promise<Partial<LocalEndpoints> | undefined> {
  try {
    return JSON.parse(await readFile(join(dataDir, ENDPOINTS_FILE), 'utf8')) as Partial<LocalEndpoints>;
  } catch {
    return undefined;
  }
}

const portOf = (url: unknown): number | undefined => {
  if (typeof url !== 'string') return undefined;
  try {
    return Number(new URL(url).port) || undefined;
  } catch {
    return undefined;
  }
};

/** The local stack's state machine name prefix (a CDK stack derives its own from the stack name). */
export const LOCAL_STATE_MACHINE_PREFIX = 'stepwise-local';

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const settings = LOCAL_AWS;
  const log = options.log ?? ((message, error) => console.error(message, error ?? ''));
  const lambdaFunctions = options.lambdaFunctions ?? process.env.LAMBDA_FUNCTIONS;
  // Checked before anything starts, so a malformed allowlist is one clear error, not a failing handler.
  if (lambdaFunctions) parseLambdaAllowlist(lambdaFunctions, 'LAMBDA_FUNCTIONS');
  const userAllowedHosts = options.outboundAllowedHosts ?? process.env.OUTBOUND_ALLOWED_HOSTS ?? '';
  parseAllowedHosts(userAllowedHosts);
  const llmPrices = options.llmPrices ?? process.env.LLM_PRICES ?? LOCAL_LLM_PRICES;
  loadLlmPrices(llmPrices);
  const workerTypes = localWorkerTypes(options.workerTypes);
  const sweep = localSweepSettings(options);
  const retainedEndedExecutions = retainedExecutions(options.retainedExecutions);
  const logSettings = parseLogSettings(
    {
      level: options.logLevel ?? 'WARN',
      sampleRate: options.logSampleRate ?? process.env.POWERTOOLS_LOGGER_SAMPLE_RATE,
    },
    { level: 'STEPWISE_LOG_LEVEL', sampleRate: 'POWERTOOLS_LOGGER_SAMPLE_RATE' },
  );
  // No new data folder for a start a taken port refuses anyway. An existing one is locked first: its lock
  // names the stack running on it, the likelier reason its ports are taken.
  if (!existsSync(options.dataDir)) {
    await refuseTakenPorts({ api: options.apiPort, ...options.ports }, settings.host);
  }
  // A new data folder is owner-only: it holds API keys, alert channel secrets and task tokens.
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  // Released last, once everything that writes to the folder has stopped.
  const stoppers: (() => Promise<void> | void)[] = [await lockDataDir(options.dataDir)];
  const stop = async () => {
    await markDataDirStopping(options.dataDir);
    for (const stopOne of stoppers.reverse()) await stopOne();
  };
  // Every listener without a port setting takes its last run's port again when free, so a worker started
  // against that run (it reads endpoints.json once) reaches the restarted stack.
  const previous = await previousEndpoints(options.dataDir);
  const preferred = async (set: number | undefined, url: string | undefined) =>
    set || (await portIfFree(portOf(url), settings.host));
  const ports = {
    dynamodb: await preferred(options.ports?.dynamodb, previous?.dynamodb),
    messaging: await preferred(options.ports?.messaging, previous?.sqs),
    stepfunctions: await preferred(options.ports?.stepfunctions, previous?.stepfunctions),
  };
  // Set once the handlers' environment is complete; refused if the start fails first, so that nothing
  // waiting on it holds the stop (an execution's status event being delivered, say).
  let configureHandlers: () => void = () => undefined;
  let abandonHandlers: (reason: Error) => void = () => undefined;
  const handlersConfigured = new Promise<void>((resolve, reject) => {
    configureHandlers = resolve;
    abandonHandlers = reject;
  });
  handlersConfigured.catch(() => undefined);
  try {
    const dynamodb = await bindingPort('dynamodb', ports.dynamodb, () =>
      startDynamoDb(settings, {
        dataDir: options.dataDir,
        port: ports.dynamodb,
        ...(options.meterDynamoDb && { meters: options.meterDynamoDb }),
      }),
    );
    stoppers.push(dynamodb.close);
    if (options.inProcessTransports !== false) {
      stoppers.push(registerInProcessTransport(dynamodb.url, dynamodb.transport));
    }
    const messaging = await bindingPort('messaging', ports.messaging, () =>
      startMessaging(settings, {
        dataDir: options.dataDir,
        port: ports.messaging,
        workerTypes: workerTypes.map((type) => type.name),
      }),
    );
    stoppers.push(messaging.close);
    if (options.inProcessTransports !== false) {
      stoppers.push(registerInProcessTransport(messaging.url, messaging.transport));
    }

    let llmBaseUrl = options.llmBaseUrl;
    let llmDefaultModel = options.llmDefaultModel;
    // Steps may reach the stack's own fake LLM and the hosts the user allows, nothing else on loopback
    // (not the stack's emulators).
    const allowedHosts = userAllowedHosts ? [userAllowedHosts] : [];
    if (!llmBaseUrl) {
      const fakeLlm = await startFakeLlm({ host: settings.host });
      stoppers.push(fakeLlm.close);
      llmBaseUrl = fakeLlm.url;
      llmDefaultModel ??= FAKE_LLM_MODEL;
      allowedHosts.push(new URL(fakeLlm.url).host);
    }
    const outboundAllowedHosts = allowedHosts.join(',');

    // Invocations wait for the handlers' environment: a worker reporting through the Lambda endpoint, or
    // an execution resumed, may call a function before it is set.
    const runtime = new LambdaRuntime(settings, undefined, {
      meterInvocations: options.meterInvocations ?? false,
      configured: handlersConfigured,
    });
    const lambdaEndpoint = await startLambdaEndpoint(runtime, settings.host, portOf(previous?.lambda));
    stoppers.push(lambdaEndpoint.close);
    const secretsManager = await startSecretsManager(
      settings,
      options.dataDir,
      portOf(previous?.secretsmanager),
    );
    stoppers.push(secretsManager.close);
    const stepfunctions = await bindingPort('stepfunctions', ports.stepfunctions, () =>
      startStepFunctionsLocal({
        host: settings.host,
        port: ports.stepfunctions,
        region: settings.region,
        accountId: settings.accountId,
        dataDir: options.dataDir,
        retainedEndedExecutions,
        endpoints: { sqs: messaging.url, sns: messaging.url, dynamodb: dynamodb.url },
        invokeLambda: (name, payload) => runtime.invokeByName(name, payload),
        // What the EventBridge rule routes on AWS: the executions' ends.
        onStatusChange: async (event) => {
          if (!SETTLING_EXECUTION_STATUSES.includes(event.detail.status)) return;
          await runtime.invoke(EXECUTION_STATUS_HANDLER, event);
        },
      }),
    );
    stoppers.push(stepfunctions.close);
    if (options.inProcessTransports !== false) {
      stoppers.push(registerInProcessTransport(stepfunctions.url, stepfunctions.transport));
    }

    const environment: Record<string, string> = {
      AWS_REGION: settings.region,
      AWS_DEFAULT_REGION: settings.region,
      AWS_ACCESS_KEY_ID: settings.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: settings.credentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.url,
      AWS_ENDPOINT_URL_SQS: messaging.url,
      AWS_ENDPOINT_URL_SNS: messaging.url,
      AWS_ENDPOINT_URL_SFN: stepfunctions.url,
      AWS_ENDPOINT_URL_LAMBDA: lambdaEndpoint.url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.url,
      TABLE_NAME: dynamodb.tableName,
      AGENT_STEPS_QUEUE_URL: messaging.queueUrls.agentSteps,
      TASK_EVENTS_DLQ_URL: messaging.queueUrls.taskEventsDlq,
      ALERT_DELIVERIES_DLQ_URL: messaging.queueUrls.alertDeliveriesDlq,
      [ALERT_SECRET_PREFIX_ENV]: 'stepwise/local',
      // The console channel: the notifier prints each alert on the stack's output.
      [ALERT_CONSOLE_ENV]: 'true',
      CRITICAL_TOPIC_ARN: messaging.topicArns.critical,
      WARNING_TOPIC_ARN: messaging.topicArns.warning,
      INFO_TOPIC_ARN: messaging.topicArns.info,
      [WORKER_TYPES_ENV]: workerTypesEnvironment(workerTypes),
      [WORKER_QUEUE_URL_PREFIX_ENV]: messaging.workerQueueUrlPrefix,
      [DEAD_AFTER_ENV]: String(sweep.deadAfterSeconds),
      [DLQ_URLS_ENV]: messaging.dlqUrls.join(','),
      // Step Functions here does not assume roles, but the API passes one as on AWS.
      WORKFLOW_ROLE_ARN: `arn:aws:iam::${settings.accountId}:role/stepwise-workflows`,
      STEP_RUNNER_ARN: runtime.arn('stepRunner'),
      STATE_MACHINE_PREFIX: LOCAL_STATE_MACHINE_PREFIX,
      ...(lambdaFunctions && { LAMBDA_FUNCTIONS: lambdaFunctions }),
      LLM_PROVIDER: 'openai',
      LLM_BASE_URL: llmBaseUrl,
      ...(llmDefaultModel && { LLM_DEFAULT_MODEL: llmDefaultModel }),
      OUTBOUND_ALLOWED_HOSTS: outboundAllowedHosts,
      LLM_PRICES: llmPrices,
    };
    // The handlers run in this process and read their configuration from it, as they would in Lambda.
    // The cursor key is left out of `environment`, which endpoints.json publishes.
    // The sample rate the settings resolved (none when 0) replaces whatever the variable held.
    delete process.env.POWERTOOLS_LOGGER_SAMPLE_RATE;
    // Likewise the default model: none is none, not one left in the shell (by an export of endpoints.json).
    delete process.env.LLM_DEFAULT_MODEL;
    Object.assign(process.env, environment, logEnvironment(logSettings), {
      CURSOR_SIGNING_KEY: await ensureCursorKey(options.dataDir),
    });

    let live: LocalWebSocketGateway | undefined;
    const api = createApiGatewayServer(settings, {
      intercept: (request, response) => live?.handleManagement(request, response) ?? false,
      routes: ROUTES,
      invoke: (route, event) => runtime.invoke(route.handler, event),
      authorize: async (event) =>
        (await runtime.invoke(AUTHORIZER_HANDLER, event)) as {
          isAuthorized: boolean;
          context?: Record<string, unknown>;
        },
      onError: (error, routeKey) => log(`Handler for ${routeKey} failed`, error),
      // The console at /console/ (built by `npm start` or the browser tests' setup: local/console-build.ts).
      serveStatic: createConsoleAssets({ distDir: CONSOLE_DIST_DIR, apiUrl: () => apiUrl }),
    });
    const apiUrl = await bindingPort('api', options.apiPort, () =>
      listen(api, options.apiPort, settings.host),
    );
    live = attachWebSocketGateway(api, settings, {
      stage: LIVE_API.stageName,
      routes: LIVE_API.routes,
      authorize: async (event) =>
        (await runtime.invoke(LIVE_API.authorizer, event)) as APIGatewayAuthorizerResult,
      invoke: (route, event) => runtime.invoke(route.handler, event),
      onError: (error, routeKey) => log(`WebSocket ${routeKey} failed`, error),
    });
    const liveGateway = live;
    stoppers.push(() => closeServer(api));
    stoppers.push(() => liveGateway.close());
    // The Management API of the WebSocket API is the API port's, at the stage path.
    const liveHttpUrl = `${apiUrl}/${LIVE_API.stageName}`;
    environment[LIVE_API.endpointEnv] = liveHttpUrl;
    process.env[LIVE_API.endpointEnv] = liveHttpUrl;
    if (options.inProcessTransports !== false) {
      stoppers.push(registerInProcessTransport(liveHttpUrl, livePostTransport(liveGateway)));
    }
    // Alert links point at the API, whose address is known only now.
    environment[API_BASE_URL_ENV] = apiUrl;
    process.env[API_BASE_URL_ENV] = apiUrl;
    // The environment is complete (LIVE_ENDPOINT and the API's address included): a handler may load.
    configureHandlers();

    const schedules = startSchedules(
      settings,
      options.schedules === false ? [] : withSweepRate(SCHEDULES, sweep.sweepSeconds),
      (schedule, event) => runtime.invoke(schedule.handler, event),
      (error, schedule) => log(`Schedule ${schedule.id} failed`, error),
      (schedule) => runtime.whenOverrunEnds(schedule.handler),
    );
    stoppers.push(schedules.stop);
    if (options.schedules !== false) {
      const tableClient = LeanDocumentClient.create({
        region: settings.region,
        credentials: settings.credentials,
        endpoint: dynamodb.url,
      });
      const reaper = startTtlReaper(
        () => reapExpiredItems(tableClient, dynamodb.tableName, Math.floor(Date.now() / 1000)),
        (error) => log('Deleting expired items (TTL) failed', error),
      );
      stoppers.push(reaper.stop);
    }

    const clientConfig = {
      region: settings.region,
      credentials: settings.credentials,
      endpoint: messaging.url,
    };
    const sqs = new SQSClient(clientConfig);
    const sns = new SNSClient(clientConfig);
    stoppers.push(() => {
      sqs.destroy();
      sns.destroy();
    });
    const subscriptions = await startSubscriptions(
      { sqs, sns },
      SUBSCRIPTIONS.map((shape) => ({ shape, topicArn: messaging.topicArns[shape.topic] })),
      (subscription, event) => runtime.invoke(subscription.handler, event),
      (error, subscription) =>
        log(`Subscription ${subscription.topic} -> ${subscription.handler} failed`, error),
    );
    stoppers.push(subscriptions.stop);

    const endpoints: LocalEndpoints = {
      api: apiUrl,
      live: liveHttpUrl.replace(/^http/, 'ws'),
      dynamodb: dynamodb.url,
      sqs: messaging.url,
      sns: messaging.url,
      stepfunctions: stepfunctions.url,
      region: settings.region,
      accountId: settings.accountId,
      tableName: dynamodb.tableName,
      queueUrls: messaging.queueUrls,
      workerQueueUrls: messaging.workerQueueUrls,
      workerHeartbeatSeconds: sweep.heartbeatSeconds,
      lambda: lambdaEndpoint.url,
      secretsmanager: secretsManager.url,
      agentReportsFunction: localFunctionName(FUNCTIONS.agentReports),
      topicArns: messaging.topicArns,
      environment,
    };
    await writeFile(join(options.dataDir, ENDPOINTS_FILE), `${JSON.stringify(endpoints, null, 2)}\n`);
    const credentials = await ensureDevCredentials(
      options.dataDir,
      apiUrl,
      LeanDocumentClient.create({
        region: settings.region,
        credentials: settings.credentials,
        endpoint: dynamodb.url,
      }),
      dynamodb.tableName,
    );
    const moved = (['dynamodb', 'sqs', 'stepfunctions', 'lambda', 'secretsmanager'] as const).flatMap(
      (name) => {
        const [before, now] = [portOf(previous?.[name]), portOf(endpoints[name])];
        return before !== undefined && before !== now ? [`${name} ${before} -> ${now}`] : [];
      },
    );
    return {
      endpoints,
      runtime,
      credentials,
      movedEndpoints: moved,
      dynamodbRequests: dynamodb.requestCounts,
      dynamodbWrites: dynamodb.writes,
      dynamodbReads: dynamodb.reads,
      dynamodbReadUnits: dynamodb.readUnits,
      stop,
    };
  } catch (error) {
    abandonHandlers(new Error('the local stack did not start'));
    await stop();
    throw error;
  }
}
