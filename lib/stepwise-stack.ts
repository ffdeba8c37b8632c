// The stepwise stack: composes one construct per concern (data, messaging, workflows, api) and one
// StepwiseFunction per entry of FUNCTIONS, wires every function to the shared resources through
// environment variables, and grants each function only what its code calls.

import {
  ArnFormat,
  type CfnElement,
  CfnOutput,
  Stack,
  type StackProps,
  Token,
  Validations,
} from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { FUNCTION_ARN, type LambdaAllowlist } from '../functions/shared/actions/lambda-allowlist';
import {
  OUTBOUND_ALLOWED_HOSTS,
  parseAllowedHosts,
} from '../functions/shared/actions/outbound/allowed-hosts';
import {
  API_BASE_URL_ENV,
  CONSOLE_BASE_URL_ENV,
  parseConsoleUrl,
} from '../functions/shared/alerts/alert-links-config';
import { ALERT_SECRET_PREFIX_ENV } from '../functions/shared/alerts/channel-secrets';
import { DLQ_URLS_ENV } from '../functions/shared/alerts/rules/dlq-urls';
import { ConfigurationError } from '../functions/shared/config';
import { stackStateMachinePrefix } from '../functions/shared/registry/state-machine-name';
import {
  FUNCTIONS,
  type FunctionName,
  isDeadLetterQueue,
  QUEUES,
  type QueueShape,
  type Severity,
  workerQueueShape,
} from '../functions/shared/resources';
import { parseMetricWorkflows } from '../functions/shared/telemetry/emf-metrics';
import type { Price } from '../functions/shared/telemetry/llm-prices';
import { logEnvironment, parseLogSettings } from '../functions/shared/telemetry/log-settings';
import {
  checkDeadAfterSpansHeartbeats,
  DEAD_AFTER_ENV,
  DEFAULT_DEAD_AFTER_SECONDS,
  DEFAULT_HEARTBEAT_SECONDS,
  parseDeadAfterSeconds,
  parseHeartbeatSeconds,
} from '../functions/shared/workers/dead-after';
import {
  WORKER_QUEUE_URL_PREFIX_ENV,
  WORKER_TYPES_ENV,
  type WorkerTypeDeclaration,
} from '../functions/shared/workers/worker-types';
import { Alerting } from './alerting';
import { Api } from './api';
import { Console } from './console';
import { Dashboard } from './dashboard';
import { Data } from './data';
import { constantCase, queueUrlEnvName, topicArnEnvName } from './environment-names';
import { Live } from './live';
import { Messaging, type QueueKey, type TopicKey } from './messaging';
import { StepwiseFunction } from './stepwise-function';
import { Workers } from './workers';
import { Workflows } from './workflows';

/** The LLM provider settings of the step runner's `llm` action. */
export interface LlmSettings {
  /**
   * The provider the `llm` action uses when a step names none.
   * @default 'openai'
   */
  readonly provider?: string;
  /**
   * Base URL of an OpenAI-compatible endpoint.
   * @default - the provider's own default
   */
  readonly baseUrl?: string;
  /**
   * Model used when a step names none.
   * @default - the provider's own default
   */
  readonly defaultModel?: string;
  /**
   * Name (or complete ARN) of the Secrets Manager secret holding the provider's API key. The step runner
   * gets its ARN as LLM_API_KEY_SECRET_ARN and may read it; the key itself never sits in the template.
   * @default - no API key (Bedrock needs none)
   */
  readonly apiKeySecret?: string;
  /**
   * LLM prices per `<provider>:<model>` in USD per million tokens (`{input, output, cachedInput?}`), laid
   * over the built-in table of list prices (functions/shared/telemetry/llm-prices.ts); the step runner
   * gets them as LLM_PRICES and checks them at cold start.
   * @default - the built-in table
   */
  readonly prices?: Readonly<Record<string, Price>>;
}

export interface StepwiseStackProps extends StackProps {
  /**
   * Email addresses subscribed to the alert topics of `alertEmailSeverities` (each confirms by email).
   * @default - none
   */
  readonly alertEmails?: readonly string[];
  /**
   * The severities emailed to `alertEmails`: a filter policy on the `severity` attribute.
   * @default - CRITICAL and WARNING
   */
  readonly alertEmailSeverities?: readonly Severity[];
  /**
   * OIDC issuer whose JWTs the authorizer accepts (AUTH_JWT_ISSUER). Requires `jwtAudience`.
   * @default - JWT authentication off: API keys only
   */
  readonly jwtIssuer?: string;
  /**
   * Audience (Cognito app client id) the JWTs must carry (AUTH_JWT_AUDIENCE); required with `jwtIssuer`,
   * since without it any token the issuer signs for any client would be accepted.
   * @default - none (only valid without `jwtIssuer`)
   */
  readonly jwtAudience?: string;
  /**
   * Where the issuer publishes its signing keys (AUTH_JWT_JWKS_URI).
   * @default - `<jwtIssuer>/.well-known/jwks.json`
   */
  readonly jwtJwksUri?: string;
  /**
   * The JWT claim listing the caller's groups, named `stepwise:<orgId>:<ROLE>` (AUTH_JWT_GROUPS_CLAIM).
   * Cognito's `cognito:groups` is set by administrators only, so users cannot promote themselves.
   * @default - `cognito:groups`
   */
  readonly jwtGroupsClaim?: string;
  /**
   * A claim naming the caller's organization (AUTH_JWT_ORG_CLAIM), used with `jwtRoleClaim` instead of
   * groups, for identity providers where only administrators can set these claims. Never use claims
   * users can write (such as Cognito custom attributes that the app client may write).
   * @default - org and role come from groups
   */
  readonly jwtOrgClaim?: string;
  /**
   * A claim holding the caller's role (AUTH_JWT_ROLE_CLAIM); set together with `jwtOrgClaim`.
   * @default - org and role come from groups
   */
  readonly jwtRoleClaim?: string;
  /**
   * The Lambda functions each organization's `lambda` steps may invoke: org id -> unqualified function
   * ARNs. The step runner may invoke exactly these (and their versions and aliases); with none, it may
   * invoke no function at all.
   * @default - no `lambda` steps can run
   */
  readonly lambdaFunctions?: LambdaAllowlist;
  /**
   * Settings of the step runner's `llm` action.
   * @default - provider openai, no API key secret
   */
  readonly llm?: LlmSettings;
  /**
   * Hosts (`host` or `host:port`) that `http` steps may reach although they resolve to loopback, private,
   * link-local or other internal addresses, which are otherwise refused (OUTBOUND_ALLOWED_HOSTS).
   * @default - none
   */
  readonly outboundAllowedHosts?: readonly string[];
  /**
   * Log level of every function (POWERTOOLS_LOG_LEVEL): TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL, SILENT.
   * @default 'INFO'
   */
  readonly logLevel?: string;
  /**
   * Share of invocations (0-1) logged at DEBUG whatever the level (POWERTOOLS_LOGGER_SAMPLE_RATE).
   * @default 0 - no sampling
   */
  readonly logSampleRate?: number;
  /**
   * X-Ray active tracing and the Powertools Tracer in every function (`tracing` context). Off, the
   * Tracer is left out of the bundles: it adds module init time and slows every `await`.
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * Workflow ids whose EMF metrics carry their own `workflow_id` dimension (at most 20); every other
   * workflow is reported as `other`, which keeps the number of CloudWatch metrics bounded
   * (METRICS_WORKFLOWS of the functions that settle tasks: task-events, api, reconciler).
   * @default - none: every workflow as `other`
   */
  readonly metricsWorkflows?: readonly string[];
  /**
   * The worker types `agent` steps may name (`workerTypes` context): each gets a queue, a DLQ and a
   * managed policy for its workers; `orgs` lists the organizations that may use it (empty: all).
   * @default - none: no `agent` step can be registered
   */
  readonly workerTypes?: readonly WorkerTypeDeclaration[];
  /**
   * Seconds without a heartbeat after which a worker counts as DEAD: the sweeper (every minute) marks it
   * and fails its in-flight steps as Worker.Lost (WORKER_DEAD_AFTER_SECONDS; 1 to 86400).
   * @default 300
   */
  readonly workerDeadAfterSeconds?: number;
  /**
   * Seconds between the heartbeats of the deployment's workers (their `heartbeatIntervalSeconds`, or
   * STEPWISE_WORKER_HEARTBEAT_SECONDS): `workerDeadAfterSeconds` must be at least twice it, or the synth fails.
   * @default 30 (the worker SDK's default)
   */
  readonly workerHeartbeatSeconds?: number;
  /**
   * Base URL of a console that shows an alert at `<consoleUrl>/alerts/<id>`: alerts link to it
   * (`links.console`; CONSOLE_BASE_URL of the functions that raise alerts).
   * @default - no console link
   */
  readonly consoleUrl?: string;
  /**
   * The Cognito domain URL (`https://<prefix>.auth.<region>.amazoncognito.com`) of the hosted UI the
   * deployed console signs in with, for the app client `jwtAudience`; requires `jwtIssuer`.
   * @default - the console signs in with API keys only
   */
  readonly cognitoDomain?: string;
}

const WILDCARD_REASON_XRAY =
  'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.';

export class StepwiseStack extends Stack {
  readonly data: Data;
  readonly messaging: Messaging;
  readonly functions: Readonly<Record<FunctionName, StepwiseFunction>>;
  readonly workflows: Workflows;
  readonly workers: Workers;
  readonly api: Api;
  readonly live: Live;
  readonly dashboard: Dashboard;
  readonly alerting: Alerting;
  readonly console: Console;
  /** Every workflow state machine of this stack is named `<stateMachinePrefix>_...`. */
  readonly stateMachinePrefix: string;

  constructor(scope: Construct, id: string, props: StepwiseStackProps = {}) {
    super(scope, id, props);
    checkJwtSettings(props);
    const lambdaFunctions = checkLambdaFunctions(props.lambdaFunctions ?? {});
    // A bad level or rate fails the synth, not every cold start.
    const logSettings = parseLogSettings(
      { level: props.logLevel, sampleRate: props.logSampleRate },
      { level: 'logLevel', sampleRate: 'logSampleRate' },
    );
    this.stateMachinePrefix = stackStateMachinePrefix(this.stackName);
    this.data = new Data(this, 'Data');
    this.messaging = new Messaging(this, 'Messaging');
    const { queues, topics } = this.messaging;

    const functions = {} as Record<FunctionName, StepwiseFunction>;
    for (const [name, shape] of Object.entries(FUNCTIONS) as [
      FunctionName,
      (typeof FUNCTIONS)[FunctionName],
    ][]) {
      functions[name] = new StepwiseFunction(this, `${name[0]?.toUpperCase()}${name.slice(1)}Function`, {
        shape,
        tracing: props.tracing ?? false,
      });
      // The execution role's default policy holds the X-Ray statement that tracing adds; every other
      // wildcard grant lives in a policy of its own with its own acknowledgement.
      const defaultPolicy = functions[name].role?.node.tryFindChild('DefaultPolicy');
      if (defaultPolicy) {
        Validations.of(defaultPolicy).acknowledge({
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason: WILDCARD_REASON_XRAY,
        });
      }
    }
    this.functions = functions;
    const { stepRunner } = functions;
    this.refuseOwnFunctions(lambdaFunctions, functions);

    this.workers = new Workers(this, 'Workers', {
      workerTypes: props.workerTypes ?? [],
      table: this.data.table,
      agentReports: functions.agentReports,
    });

    this.workflows = new Workflows(this, 'Workflows', {
      stateMachinePrefix: this.stateMachinePrefix,
      functions,
      stepRunner,
      // The step queues only: the task-events and alert-deliveries DLQs are no step's to write to.
      queues: [queues.agentSteps, ...this.workers.queues],
      topics,
      statusEventsDeadLetterQueue: queues.taskEventsDlq,
    });

    const deadAfterSeconds = parseDeadAfterSeconds(
      props.workerDeadAfterSeconds ?? DEFAULT_DEAD_AFTER_SECONDS,
      'workerDeadAfterSeconds',
    );
    checkDeadAfterSpansHeartbeats(
      { seconds: deadAfterSeconds, source: 'workerDeadAfterSeconds' },
      {
        seconds: parseHeartbeatSeconds(
          props.workerHeartbeatSeconds ?? DEFAULT_HEARTBEAT_SECONDS,
          'workerHeartbeatSeconds',
        ),
        source: 'workerHeartbeatSeconds',
      },
    );
    // Every function sees every shared resource, as on the local stack (local/stack.ts).
    const environment: Record<string, string> = {
      TABLE_NAME: this.data.table.tableName,
      WORKFLOW_ROLE_ARN: this.workflows.role.roleArn,
      [WORKER_TYPES_ENV]: this.workers.environment,
      [WORKER_QUEUE_URL_PREFIX_ENV]: this.workers.queueUrlPrefix,
      [DEAD_AFTER_ENV]: String(deadAfterSeconds),
      ...logEnvironment(logSettings),
    };
    for (const [key, queue] of Object.entries(queues) as [QueueKey, (typeof queues)[QueueKey]][]) {
      environment[queueUrlEnvName(key)] = queue.queueUrl;
    }
    for (const [key, topic] of Object.entries(topics) as [TopicKey, (typeof topics)[TopicKey]][]) {
      environment[topicArnEnvName(key)] = topic.topicArn;
    }
    for (const [name, fn] of Object.entries(functions) as [FunctionName, StepwiseFunction][]) {
      for (const [variable, value] of Object.entries(environment)) fn.addEnvironment(variable, value);
      // STEP_RUNNER_ARN goes to every function but the step runner: its own ARN in its environment would
      // be a circular reference, and its code never needs it (state machines carry the ARN).
      if (name !== 'stepRunner') fn.addEnvironment('STEP_RUNNER_ARN', stepRunner.functionArn);
    }

    // The DLQ_NOT_EMPTY alert rule: the sweeper reads the depth of every dead-letter queue of the stack;
    // DLQ_URLS names the fixed queues' (the worker types' it derives from WORKER_QUEUE_URL_PREFIX).
    const fixedDeadLetterQueues = (Object.entries(QUEUES) as [QueueKey, QueueShape][]).flatMap(
      ([key, shape]) => {
        const queue = queues[key];
        return [
          ...(isDeadLetterQueue(shape) ? [queue] : []),
          ...(queue.deadLetterQueue ? [queue.deadLetterQueue.queue] : []),
        ];
      },
    );
    functions.sweeper.addEnvironment(
      DLQ_URLS_ENV,
      fixedDeadLetterQueues.map((queue) => queue.queueUrl).join(','),
    );
    const deadLetterQueues = [
      ...fixedDeadLetterQueues,
      ...Object.values(this.workers.types).map((type) => type.deadLetterQueue),
    ];
    functions.sweeper.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sqs:GetQueueAttributes'],
        resources: deadLetterQueues.map((queue) => queue.queueArn),
      }),
    );
    // The alert rules run in the sweeper and raise WARNING and INFO alerts too (the sweep itself, CRITICAL).
    for (const topic of [topics.warning, topics.info]) topic.grantPublish(functions.sweeper);

    functions.registry.addEnvironment('STATE_MACHINE_PREFIX', this.stateMachinePrefix);
    // Registration refuses functions outside the allowlist; the step runner checks again at run time.
    const lambdaFunctionsJson = JSON.stringify(lambdaFunctions);
    for (const fn of [functions.registry, stepRunner])
      fn.addEnvironment('LAMBDA_FUNCTIONS', lambdaFunctionsJson);

    this.grantFunctionPermissions(functions);
    this.grantLambdaSteps(stepRunner, lambdaFunctions, functions);
    this.configureAuthorizer(functions.authorizer, props);
    this.configureCursorKey(functions.api, functions.alerts);
    this.configureStepRunner(stepRunner, props.llm ?? {});
    if (props.outboundAllowedHosts?.length) {
      const hosts = props.outboundAllowedHosts.join(',');
      parseAllowedHosts(hosts, 'outboundAllowedHosts'); // a malformed entry fails the synth, not a cold start
      // Alert channel URLs go through the same guard (the alerts function checks them, the notifier posts
      // to them).
      for (const fn of [stepRunner, functions.alerts, functions.alertNotifier]) {
        fn.addEnvironment(OUTBOUND_ALLOWED_HOSTS, hosts);
      }
    }
    this.grantAlertChannels(functions.alerts, functions.alertNotifier);

    this.api = new Api(this, 'Api', { functions });
    // Every function that records task, step, worker or alert events fans them out to live connections.
    this.live = new Live(this, 'Live', {
      functions,
      data: this.data,
      writers: [
        functions.api,
        functions.alerts,
        functions.workers,
        stepRunner,
        functions.taskEvents,
        functions.reconciler,
        functions.agentReports,
        functions.sweeper,
        functions.alertNotifier,
      ],
      // The sweeper closes the connections whose credential expired.
      closers: [functions.sweeper],
    });
    // Alert links (GET /admin/alerts/{id}) name the API's URL; the functions that raise alerts get it, and
    // the alerts function, whose Alerting (only read and acknowledged there) loads the same link settings.
    for (const fn of [functions.alerts, functions.workers, functions.sweeper, functions.alertNotifier]) {
      fn.addEnvironment(API_BASE_URL_ENV, this.api.url);
      if (props.consoleUrl) fn.addEnvironment(CONSOLE_BASE_URL_ENV, parseConsoleUrl(props.consoleUrl));
    }
    const metricsWorkflows = [
      ...parseMetricWorkflows((props.metricsWorkflows ?? []).join(','), 'metricsWorkflows'),
    ];
    // Tasks settle in task-events, and in the api (a cancel) and the reconciler: each publishes their EMF.
    if (metricsWorkflows.length > 0) {
      for (const settler of [functions.taskEvents, functions.api, functions.reconciler]) {
        settler.addEnvironment('METRICS_WORKFLOWS', metricsWorkflows.join(','));
      }
    }
    this.dashboard = new Dashboard(this, 'Dashboard', {
      httpApi: this.api.httpApi,
      functions,
      table: this.data.table,
      // A worker queue whose oldest message ages is a type without (enough) workers.
      queues: {
        ...queues,
        ...Object.fromEntries(
          Object.entries(this.workers.types).map(([name, type]) => [`worker ${name}`, type.queue]),
        ),
      },
    });
    this.alerting = new Alerting(this, 'Alerting', {
      topics,
      functions,
      httpApi: this.api.httpApi,
      deadLetterQueues: {
        ...this.messaging.deadLetterQueues,
        ...Object.fromEntries(
          Object.entries(this.workers.types).map(([name, type]) => [
            workerQueueShape(name).deadLetter?.localName ?? name,
            type.deadLetterQueue,
          ]),
        ),
      },
      ...(props.alertEmails && { emails: props.alertEmails }),
      ...(props.alertEmailSeverities && { emailSeverities: props.alertEmailSeverities }),
    });

    this.console = new Console(this, 'Console', {
      api: this.api,
      liveUrl: this.live.url,
      ...(props.cognitoDomain && {
        oidc: {
          authority: props.cognitoDomain.replace(/\/$/, ''),
          clientId: props.jwtAudience ?? '',
        },
      }),
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the HTTP API' });
    new CfnOutput(this, 'LiveUrl', { value: this.live.url, description: 'WebSocket URL of live updates' });
    new CfnOutput(this, 'ConsoleUrl', { value: this.console.url, description: 'The web console' });
    new CfnOutput(this, 'TableName', { value: this.data.table.tableName });
    for (const [key, topic] of Object.entries(topics) as [TopicKey, (typeof topics)[TopicKey]][]) {
      new CfnOutput(this, `${pascalCase(key)}TopicArn`, { value: topic.topicArn });
    }
    for (const [name, { queue, policy }] of Object.entries(this.workers.types)) {
      const id = workerQueueShape(name).id;
      new CfnOutput(this, `${id}Url`, {
        value: queue.queueUrl,
        description: `Queue of the ${name} workers (STEPWISE_WORKER_QUEUE_URL)`,
      });
      new CfnOutput(this, `${id}PolicyArn`, {
        value: policy.managedPolicyArn,
        description: `Managed policy to attach to the role of the ${name} workers`,
      });
    }
    // A worker also needs the table (TableName) and the function it reports to, whose name CloudFormation
    // generates: without this output a deployment's workers had no way to learn it.
    if (Object.keys(this.workers.types).length > 0) {
      new CfnOutput(this, 'AgentReportsFunctionName', {
        value: functions.agentReports.functionName,
        description: 'The function workers report their attempts to (STEPWISE_AGENT_REPORTS_FUNCTION)',
      });
    }
    new CfnOutput(this, 'WorkflowRoleArn', {
      value: this.workflows.role.roleArn,
      description: 'The role every workflow state machine runs as',
    });
  }

  /** The key that signs pagination cursors: generated by the stack, read by the HTTP functions at run time. */
  private configureCursorKey(...readers: StepwiseFunction[]): void {
    const secret = new secretsmanager.Secret(this, 'CursorSigningKey', {
      description: 'stepwise: HMAC key of the pagination cursors the API issues',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    for (const fn of readers) {
      secret.grantRead(fn);
      fn.addEnvironment('CURSOR_KEY_SECRET_ARN', secret.secretArn);
    }
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The key only signs pagination cursors; replacing it (a new secret value) merely ends the cursors issued before, so no rotation Lambda is needed.',
    });
  }

  private grantFunctionPermissions(functions: Readonly<Record<FunctionName, StepwiseFunction>>): void {
    const {
      health,
      taskEvents,
      api,
      registry,
      metrics,
      alerts,
      authorizer,
      stepRunner,
      reconciler,
      aggregator,
      agentReports,
      sweeper,
      workers,
    } = functions;
    const { table } = this.data;

    for (const fn of [
      api,
      registry,
      alerts,
      workers,
      stepRunner,
      taskEvents,
      reconciler,
      aggregator,
      agentReports,
      sweeper,
    ]) {
      fn.grantTableReadWrite(this.data);
    }
    for (const fn of [authorizer, metrics]) fn.grantTableRead(this.data);

    // Health: one cheap read per component (functions/shared/health/aws-probes.ts).
    health.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:DescribeTable'], resources: [table.tableArn] }),
    );
    health.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sqs:GetQueueAttributes'],
        resources: this.messaging.allQueues.map((queue) => queue.queueArn),
      }),
    );
    health.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sns:GetTopicAttributes'],
        resources: Object.values(this.messaging.topics).map((topic) => topic.topicArn),
      }),
    );
    const listStateMachines = this.functionPolicy(health, 'ListStateMachines', [
      new iam.PolicyStatement({ actions: ['states:ListStateMachines'], resources: ['*'] }),
    ]);
    Validations.of(listStateMachines).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'states:ListStateMachines supports no resource-level permissions; the health probe only lists one.',
    });

    // The registry registers workflows (one state machine per version); the api starts, stops and reads
    // executions; both of this stack's machines only (`<prefix>_*`; no other stack's prefix starts that way).
    const stateMachineArn = this.workflows.stateMachineArnPattern;
    const executionArn = this.workflows.executionArnPattern;
    this.grantOnWorkflowStateMachines(registry, stateMachineArn, [
      'states:CreateStateMachine',
      'states:UpdateStateMachine',
      'states:DescribeStateMachine',
    ]);
    this.workflows.role.grantPassRole(registry.grantPrincipal);
    this.grantOnWorkflowStateMachines(api, stateMachineArn, ['states:StartExecution']);
    this.grantOnWorkflowStateMachines(api, executionArn, [
      'states:StopExecution',
      'states:DescribeExecution',
    ]);
    // The reconciler reads ended executions; task-events reads the output a status event left out (over
    // EventBridge's 248 KiB).
    for (const fn of [reconciler, taskEvents]) {
      this.grantOnWorkflowStateMachines(fn, executionArn, ['states:DescribeExecution']);
    }
    // An approval decision completes the waiting state's task token; the step runner notifies approvers on
    // the info topic.
    this.grantApprovalDecisions(api);
    // The reconciler sends again a decision whose deciding request stopped before Step Functions had it.
    this.grantApprovalDecisions(reconciler);
    this.messaging.topics.info.grantPublish(stepRunner);
    // The sweeper (and POST /admin/workers/cleanup, which runs the same sweep) fails dead workers' tokens.
    for (const fn of [sweeper, workers]) this.grantWorkerSweep(fn);

    // The step runner calls Bedrock models (the `llm` action); `lambda` steps: grantLambdaSteps.
    const bedrock = this.functionPolicy(stepRunner, 'InvokeBedrockModels', [
      // Converse and ConverseStream are authorized as bedrock:InvokeModel(WithResponseStream).
      new iam.PolicyStatement({
        actions: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
        resources: ['*'],
      }),
    ]);
    Validations.of(bedrock).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'The `llm` step action calls the Bedrock model a workflow step names (foundation models and cross-region inference profiles), known only at runtime.',
    });
  }

  /**
   * Refuses an allowlist entry that is one of this stack's own functions: a `lambda` step invoking the api
   * with a forged event would pass for API Gateway. Compared where the function's name is known at synth:
   * a resolved ARN or name, or the name CloudFormation generates (`<stack name>-<logical id>-<suffix>`,
   * unless truncated to 64 characters). The IAM Deny of grantLambdaSteps holds for the rest.
   */
  private refuseOwnFunctions(
    allowlist: LambdaAllowlist,
    functions: Readonly<Record<FunctionName, StepwiseFunction>>,
  ): void {
    const own = Object.values(functions).map((fn) => ({
      arn: Token.isUnresolved(fn.functionArn) ? undefined : fn.functionArn,
      name: Token.isUnresolved(fn.functionName) ? undefined : fn.functionName,
      generatedPrefix: Token.isUnresolved(this.stackName)
        ? undefined
        : `${this.stackName}-${this.getLogicalId(fn.node.defaultChild as CfnElement)}-`,
    }));
    for (const [orgId, arns] of Object.entries(allowlist)) {
      for (const arn of arns) {
        const name = arn.slice(arn.lastIndexOf(':') + 1);
        const isOwn = own.some(
          (fn) =>
            fn.arn === arn || fn.name === name || (fn.generatedPrefix && name.startsWith(fn.generatedPrefix)),
        );
        if (isOwn) {
          throw new ConfigurationError(
            `lambdaFunctions.${orgId}: ${arn} is a function of this stack; \`lambda\` steps may not invoke stepwise itself`,
          );
        }
      }
    }
  }

  /**
   * The step runner may invoke exactly the allowlisted functions, each bare or qualified (`:*`: versions
   * and aliases), and nothing when the allowlist is empty: no `*`. An explicit Deny on this stack's own
   * functions (their exact ARNs) holds even if one of them is allowlisted under a name not known at synth.
   */
  private grantLambdaSteps(
    stepRunner: StepwiseFunction,
    allowlist: LambdaAllowlist,
    functions: Readonly<Record<FunctionName, StepwiseFunction>>,
  ): void {
    this.functionPolicy(stepRunner, 'DenyInvokeOwnFunctions', [
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        actions: ['lambda:InvokeFunction'],
        resources: Object.values(functions).flatMap((fn) => [fn.functionArn, `${fn.functionArn}:*`]),
      }),
    ]);
    const arns = [...new Set(Object.values(allowlist).flat())].sort();
    if (arns.length === 0) return;
    const policy = this.functionPolicy(stepRunner, 'InvokeAllowedFunctions', [
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: arns.flatMap((arn) => [arn, `${arn}:*`]),
      }),
    ]);
    for (const arn of arns) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${arn}:*]`,
        reason: `Versions and aliases of ${arn}, which the deployment allowlists for \`lambda\` steps.`,
      });
    }
  }

  /**
   * Step Functions actions on the workflow state machines (or their executions), which the api creates at
   * runtime: the wildcard after this stack's `<prefix>_` is acknowledged for exactly that ARN.
   */
  private grantOnWorkflowStateMachines(fn: StepwiseFunction, arn: string, actions: string[]): void {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources: [arn] }));
    const defaultPolicy = fn.role?.node.tryFindChild('DefaultPolicy');
    if (!defaultPolicy) throw new Error(`${fn.node.id} has no default policy`);
    Validations.of(defaultPolicy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${this.resolveForNag(arn)}]`,
      reason: `Workflow state machines are created at runtime, one per workflow version, all named ${this.workflows.stateMachineNameStart}*: the wildcard stops at this stack's prefix in this account and region.`,
    });
  }

  /**
   * SendTaskSuccess/SendTaskFailure accept no resource-level permission (the Service Authorization
   * Reference lists no resource type for them; IAM denies a statement scoped to a state machine ARN): the
   * grant is on `*`, and the task token, which only the step runner's approval store holds, is what
   * authorizes completing a particular task.
   */
  private grantApprovalDecisions(fn: StepwiseFunction): void {
    const policy = this.functionPolicy(fn, 'CompleteApprovalTasks', [
      new iam.PolicyStatement({
        actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
        resources: ['*'],
      }),
    ]);
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'states:SendTaskSuccess/SendTaskFailure support no resource-level permissions (Service Authorization Reference); the task token authorizes the call.',
    });
  }

  /**
   * What a worker sweep calls besides the table: SendTaskFailure (Worker.Lost) on the tokens a dead worker
   * held, and the dead-worker alert on the critical topic.
   */
  private grantWorkerSweep(fn: StepwiseFunction): void {
    const failTokens = this.functionPolicy(fn, 'FailLostWorkerTokens', [
      new iam.PolicyStatement({ actions: ['states:SendTaskFailure'], resources: ['*'] }),
    ]);
    Validations.of(failTokens).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'states:SendTaskFailure supports no resource-level permissions (Service Authorization Reference); the task token authorizes the call.',
    });
    this.messaging.topics.critical.grantPublish(fn);
  }

  /**
   * Alert channels keep their secrets in Secrets Manager under `stepwise/<stack>/alert-channels/`: the alerts
   * function writes them (PUT /admin/alert-channels), the notifier reads them and writes its delivery log, rate
   * counters and parked deliveries. A channel's `secretRef` to a secret elsewhere needs that secret's
   * resource policy to let the notifier's role read it.
   */
  private grantAlertChannels(alerts: StepwiseFunction, notifier: StepwiseFunction): void {
    const prefix = `stepwise/${this.stackName}`;
    alerts.addEnvironment(ALERT_SECRET_PREFIX_ENV, prefix);
    const secrets = this.formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${prefix}/alert-channels/*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const reason =
      "Alert channel secrets are created at runtime, one per channel, all under this stack's alert-channels/ prefix.";
    const write = this.functionPolicy(alerts, 'WriteAlertChannelSecrets', [
      new iam.PolicyStatement({
        actions: [
          'secretsmanager:CreateSecret',
          'secretsmanager:PutSecretValue',
          'secretsmanager:DescribeSecret',
          'secretsmanager:DeleteSecret',
        ],
        resources: [secrets],
      }),
    ]);
    const read = this.functionPolicy(notifier, 'ReadAlertChannelSecrets', [
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secrets] }),
    ]);
    for (const policy of [write, read]) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${this.resolveForNag(secrets)}]`,
        reason,
      });
    }
    notifier.grantTableReadWrite(this.data);
    this.messaging.queues.alertDeliveriesDlq.grantSendMessages(notifier);
    // SNS invokes the notifier asynchronously: an invocation that still fails after Lambda's two retries
    // (a crash, a timeout) lands in the same queue as a Lambda destination record, rather than being lost.
    notifier.configureAsyncInvoke({
      onFailure: new SqsDestination(this.messaging.queues.alertDeliveriesDlq),
    });
    Validations.of(this.messaging.queues.alertDeliveriesDlq).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself where the notifier parks the deliveries it gave up on; a dead-letter queue of its own would only move them again.',
    });
  }

  /** JWT settings for the authorizer (checked by checkJwtSettings); without an issuer, API keys only. */
  private configureAuthorizer(authorizer: StepwiseFunction, props: StepwiseStackProps): void {
    if (!props.jwtIssuer) return;
    authorizer.addEnvironment('AUTH_JWT_ISSUER', props.jwtIssuer);
    if (props.jwtAudience) authorizer.addEnvironment('AUTH_JWT_AUDIENCE', props.jwtAudience);
    if (props.jwtJwksUri) authorizer.addEnvironment('AUTH_JWT_JWKS_URI', props.jwtJwksUri);
    if (props.jwtGroupsClaim) authorizer.addEnvironment('AUTH_JWT_GROUPS_CLAIM', props.jwtGroupsClaim);
    if (props.jwtOrgClaim) authorizer.addEnvironment('AUTH_JWT_ORG_CLAIM', props.jwtOrgClaim);
    if (props.jwtRoleClaim) authorizer.addEnvironment('AUTH_JWT_ROLE_CLAIM', props.jwtRoleClaim);
  }

  private configureStepRunner(stepRunner: StepwiseFunction, llm: LlmSettings): void {
    stepRunner.addEnvironment('LLM_PROVIDER', llm.provider ?? 'openai');
    if (llm.baseUrl) stepRunner.addEnvironment('LLM_BASE_URL', llm.baseUrl);
    if (llm.defaultModel) stepRunner.addEnvironment('LLM_DEFAULT_MODEL', llm.defaultModel);
    if (llm.prices) stepRunner.addEnvironment('LLM_PRICES', JSON.stringify(llm.prices));
    if (llm.apiKeySecret) {
      const secret = llm.apiKeySecret.startsWith('arn:')
        ? secretsmanager.Secret.fromSecretCompleteArn(this, 'LlmApiKeySecret', llm.apiKeySecret)
        : secretsmanager.Secret.fromSecretNameV2(this, 'LlmApiKeySecret', llm.apiKeySecret);
      stepRunner.addEnvironment('LLM_API_KEY_SECRET_ARN', secret.secretArn);
      secret.grantRead(stepRunner);
    }
  }

  /** A policy of its own on a function's role, so a wildcard grant can be acknowledged by itself. */
  private functionPolicy(fn: StepwiseFunction, id: string, statements: iam.PolicyStatement[]): iam.Policy {
    const role = fn.role;
    if (!role) throw new Error(`${fn.node.id} has no execution role`);
    const policy = new iam.Policy(this, `${fn.node.id}${id}Policy`, { statements });
    role.attachInlinePolicy(policy);
    return policy;
  }

  /** An ARN as cdk-nag prints it in finding ids: pseudo parameters as `<AWS::Region>`. */
  private resolveForNag(arn: string): string {
    const resolved: unknown = this.resolve(arn);
    const parts = (resolved as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join']?.[1];
    if (!parts) return String(resolved);
    return parts
      .map((part) => (typeof part === 'string' ? part : `<${(part as { Ref: string }).Ref}>`))
      .join('');
  }
}

/** The JWT settings the authorizer would refuse at cold start, refused at synth instead. */
function checkJwtSettings(props: StepwiseStackProps): void {
  const jwtOnly = ['jwtAudience', 'jwtJwksUri', 'jwtGroupsClaim', 'jwtOrgClaim', 'jwtRoleClaim'] as const;
  if (props.cognitoDomain !== undefined && !props.jwtIssuer) {
    throw new ConfigurationError(
      'cognitoDomain needs jwtIssuer and jwtAudience: the API must accept the tokens it issues',
    );
  }
  if (!props.jwtIssuer) {
    const stray = jwtOnly.filter((key) => props[key] !== undefined);
    if (stray.length > 0) throw new ConfigurationError(`${stray.join(', ')} need jwtIssuer`);
    return;
  }
  if (!props.jwtAudience) {
    throw new ConfigurationError(
      'jwtAudience is required with jwtIssuer: the app client id (Cognito) or audience your tokens carry',
    );
  }
  if ((props.jwtOrgClaim === undefined) !== (props.jwtRoleClaim === undefined)) {
    throw new ConfigurationError('jwtOrgClaim and jwtRoleClaim go together (or neither, to use groups)');
  }
  if (props.jwtGroupsClaim !== undefined && props.jwtOrgClaim !== undefined) {
    throw new ConfigurationError('Set jwtGroupsClaim or jwtOrgClaim/jwtRoleClaim, not both');
  }
}

function checkLambdaFunctions(allowlist: LambdaAllowlist): LambdaAllowlist {
  for (const [orgId, arns] of Object.entries(allowlist)) {
    const bad = arns.find((arn) => !FUNCTION_ARN.test(arn));
    if (orgId === '' || bad !== undefined) {
      throw new ConfigurationError(
        `lambdaFunctions.${orgId}: ${bad ?? ''} is not an unqualified function ARN (arn:aws:lambda:<region>:<account>:function:<name>)`,
      );
    }
  }
  return allowlist;
}

function pascalCase(key: string): string {
  return constantCase(key)
    .toLowerCase()
    .split('_')
    .map((word) => `${word[0]?.toUpperCase() ?? ''}${word.slice(1)}`)
    .join('');
}
