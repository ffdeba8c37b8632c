// The embedded local stack: every emulator on loopback, the real handlers wired to them the way the CDK
// stack wires them on AWS, all in this process. `npm start` and the integration tests both start it here.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { EXECUTION_STATUS_HANDLER, ROUTES, SCHEDULES, SUBSCRIPTIONS } from '../functions/shared/resources';
import { createApiGatewayServer } from './api-gateway';
import { startDynamoDb } from './dynamodb';
import { LambdaRuntime } from './lambda-runtime';
import { closeServer, listen } from './listen';
import { startMessaging } from './messaging';
import { startSchedules } from './schedules';
import { LOCAL_AWS } from './settings';
import { startStepFunctionsLocal } from './stepfunctions/server';
import { startSubscriptions } from './subscriptions';

export interface LocalStackOptions {
  /** Where dynalite, fauxqs and Step Functions keep their data. */
  readonly dataDir: string;
  /** API port; 0 picks a free one. */
  readonly apiPort: number;
  /** Ports of the emulators; 0 (the default) picks free ones. */
  readonly ports?: {
    readonly dynamodb?: number;
    readonly messaging?: number;
    readonly stepfunctions?: number;
  };
  /** Log level of the handlers (Powertools). @default 'WARN' */
  readonly logLevel?: string;
  readonly log?: (message: string, error?: unknown) => void;
}

/** Written to `<dataDir>/endpoints.json` for tests, the CLI and AWS SDK configuration. */
export interface LocalEndpoints {
  readonly api: string;
  readonly dynamodb: string;
  readonly sqs: string;
  readonly sns: string;
  readonly stepfunctions: string;
  readonly region: string;
  readonly accountId: string;
  readonly tableName: string;
  readonly queueUrls: Record<string, string>;
  readonly topicArns: Record<string, string>;
  /** The environment a Lambda of the stack sees; export it to point the AWS CLI or SDK here. */
  readonly environment: Record<string, string>;
}

export interface LocalStack {
  readonly endpoints: LocalEndpoints;
  readonly runtime: LambdaRuntime;
  stop(): Promise<void>;
}

export const ENDPOINTS_FILE = 'endpoints.json';

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const settings = LOCAL_AWS;
  const log = options.log ?? ((message, error) => console.error(message, error ?? ''));
  await mkdir(options.dataDir, { recursive: true });
  const stoppers: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const stopOne of stoppers.reverse()) await stopOne();
  };
  try {
    const dynamodb = await startDynamoDb(settings, {
      dataDir: options.dataDir,
      port: options.ports?.dynamodb ?? 0,
    });
    stoppers.push(dynamodb.close);
    const messaging = await startMessaging(settings, {
      dataDir: options.dataDir,
      port: options.ports?.messaging ?? 0,
    });
    stoppers.push(messaging.close);

    const runtime = new LambdaRuntime(settings);
    const stepfunctions = await startStepFunctionsLocal({
      host: settings.host,
      port: options.ports?.stepfunctions ?? 0,
      region: settings.region,
      accountId: settings.accountId,
      dataDir: options.dataDir,
      endpoints: { sqs: messaging.url, sns: messaging.url, dynamodb: dynamodb.url },
      invokeLambda: (name, payload) => runtime.invokeByName(name, payload),
      onStatusChange: async (event) => {
        await runtime.invoke(EXECUTION_STATUS_HANDLER, event);
      },
    });
    stoppers.push(stepfunctions.close);

    const environment: Record<string, string> = {
      AWS_REGION: settings.region,
      AWS_DEFAULT_REGION: settings.region,
      AWS_ACCESS_KEY_ID: settings.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: settings.credentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.url,
      AWS_ENDPOINT_URL_SQS: messaging.url,
      AWS_ENDPOINT_URL_SNS: messaging.url,
      AWS_ENDPOINT_URL_SFN: stepfunctions.url,
      TABLE_NAME: dynamodb.tableName,
      AGENT_STEPS_QUEUE_URL: messaging.queueUrls.agentSteps,
      TASK_EVENTS_DLQ_URL: messaging.queueUrls.taskEventsDlq,
      CRITICAL_TOPIC_ARN: messaging.topicArns.critical,
      WARNING_TOPIC_ARN: messaging.topicArns.warning,
      INFO_TOPIC_ARN: messaging.topicArns.info,
    };
    // The handlers run in this process and read their configuration from it, as they would in Lambda.
    Object.assign(process.env, environment, {
      POWERTOOLS_SERVICE_NAME: 'stepwise',
      POWERTOOLS_LOG_LEVEL: options.logLevel ?? 'WARN',
      // No X-Ray daemon and no CloudWatch here: tracing off, EMF metrics not printed.
      POWERTOOLS_TRACE_ENABLED: 'false',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });

    const api = createApiGatewayServer(settings, {
      routes: ROUTES,
      invoke: (route, event) => runtime.invoke(route.handler, event),
      onError: (error, routeKey) => log(`Handler for ${routeKey} failed`, error),
    });
    const apiUrl = await listen(api, options.apiPort, settings.host);
    stoppers.push(() => closeServer(api));

    const schedules = startSchedules(
      settings,
      SCHEDULES,
      (schedule, event) => runtime.invoke(schedule.handler, event),
      (error, schedule) => log(`Schedule ${schedule.id} failed`, error),
    );
    stoppers.push(schedules.stop);

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
      dynamodb: dynamodb.url,
      sqs: messaging.url,
      sns: messaging.url,
      stepfunctions: stepfunctions.url,
      region: settings.region,
      accountId: settings.accountId,
      tableName: dynamodb.tableName,
      queueUrls: messaging.queueUrls,
      topicArns: messaging.topicArns,
      environment,
    };
    await writeFile(join(options.dataDir, ENDPOINTS_FILE), `${JSON.stringify(endpoints, null, 2)}\n`);
    return { endpoints, runtime, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
