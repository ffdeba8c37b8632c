// The shapes of every AWS resource stepwise owns, declared once. The CDK constructs (lib/) and the
// embedded local stack (local/) both build from these, so the two cannot drift apart.

/**
 * Roles within an organization (OWNER > ADMIN > MEMBER), plus OPERATOR: a deployment-level role for the
 * people who run the platform, the only one that reads across organizations.
 */
export type Role = 'OWNER' | 'ADMIN' | 'MEMBER' | 'OPERATOR';

export const APP_NAME = 'stepwise';

/**
 * What a task list row holds (GET /tasks, GET /admin/tasks): the attributes the listing indexes project,
 * so a page is read from index entries alone. None of them changes when the task starts running (its
 * status, startedAt and updatedAt are left out): `listStatus` is the terminal status, or RUNNING (ACTIVE for
 * a task created PENDING by an earlier version) until the settle, so a task costs one entry write per
 * listing index at create and one (or a delete and a put where the status is in the key) at settle.
 */
export const TASK_ROW_ATTRIBUTES = [
  'taskId',
  'orgId',
  'workflowId',
  'workflowVersion',
  'agentId',
  'tags',
  'listStatus',
  'createdAt',
  'endedAt',
  'error',
] as const;

/**
 * What the settled-task index (gsi13) projects: what the aggregate folder and the TASK_FAILED rule read of a
 * settled task. Not its output, which can be tens of KB: an index that projected the whole item (as gsi2
 * did until this index) cost the settled item's size a second time at every settle.
 */
export const SETTLED_ROW_ATTRIBUTES = [
  'taskId',
  'orgId',
  'workflowId',
  'agentId',
  'status',
  'settledAt',
  'endedAt',
  'error',
  'cause',
  'metrics',
] as const;

export interface IndexShape {
  readonly indexName: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly projection: 'ALL' | 'KEYS_ONLY' | 'INCLUDE';
  /** The non-key attributes an INCLUDE index projects. */
  readonly nonKeyAttributes?: readonly string[];
}

/** Single-table design: every item lives in one table keyed by pk/sk, with two overloaded GSIs and six of one use. */
export const TABLE = {
  /** Physical name on the local stack; on AWS CloudFormation names it and the Lambdas get it as TABLE_NAME. */
  localName: 'stepwise',
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds; heartbeats, events and fine-grained metric buckets expire through it. */
  timeToLiveAttribute: 'expiresAt',
  /** DynamoDB's limit on nested maps and lists in an item, an attribute's own map counting as level 1. */
  maxNestingDepth: 32,
  /**
   * gsi1 and gsi2 are overloaded by every kind of item and project ALL. gsi13 is the settled-task index
   * (telemetry/settled-index.ts), projecting SETTLED_ROW_ATTRIBUTES. gsi8-gsi12 serve the task listing
   * (see the task-store header) and project the list row (TASK_ROW_ATTRIBUTES), so a page needs no read
   * of the tasks. They replace gsi3-gsi7 (KEYS_ONLY), under new names because a deployed index's
   * projection cannot change (README, upgrade notes). They all sort by the order key
   * `<createdAt>#<taskId>`, held once in gsi8sk: the task item stays small, as each task write costs its
   * size again in the table and in gsi2.
   */
  globalSecondaryIndexes: [
    { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projection: 'ALL' },
    { indexName: 'gsi2', partitionKey: 'gsi2pk', sortKey: 'gsi2sk', projection: 'ALL' },
    ...(
      [
        ['gsi8', 'gsi8pk', 'gsi8sk'],
        ['gsi9', 'gsi9pk', 'gsi8sk'],
        ['gsi10', 'gsi10pk', 'gsi8sk'],
        ['gsi11', 'gsi11pk', 'gsi8sk'],
        ['gsi12', 'gsi12pk', 'gsi8sk'],
      ] as const
    ).map(([indexName, partitionKey, sortKey]) => ({
      indexName,
      partitionKey,
      sortKey,
      projection: 'INCLUDE' as const,
      // The status indexes' entries move with every status change (the RUNNING write included): they
      // also project the live status and start time, at no extra write.
      nonKeyAttributes:
        partitionKey === 'gsi10pk' || partitionKey === 'gsi12pk'
          ? [...TASK_ROW_ATTRIBUTES, 'status', 'startedAt']
          : TASK_ROW_ATTRIBUTES,
    })),
    {
      indexName: 'gsi13',
      partitionKey: 'gsi13pk',
      sortKey: 'gsi13sk',
      projection: 'INCLUDE',
      nonKeyAttributes: SETTLED_ROW_ATTRIBUTES,
    },
  ] as readonly IndexShape[],
} as const;

/** The key attributes of the table and its indexes, each once (some indexes share one). */
export const TABLE_KEY_ATTRIBUTES: readonly string[] = [
  ...new Set([
    TABLE.partitionKey,
    TABLE.sortKey,
    ...TABLE.globalSecondaryIndexes.flatMap((index) => [index.partitionKey, index.sortKey]),
  ]),
];

export type IndexName = 'gsi1' | 'gsi2' | 'gsi8' | 'gsi9' | 'gsi10' | 'gsi11' | 'gsi12' | 'gsi13';

export interface QueueShape {
  /** CDK construct id. */
  readonly id: string;
  /** Queue name on the local stack (CloudFormation names it on AWS). */
  readonly localName: string;
  readonly visibilityTimeoutSeconds: number;
  readonly retentionDays: number;
  /** Messages received this many times without being deleted move to the DLQ. */
  readonly deadLetter?: { readonly id: string; readonly localName: string; readonly maxReceiveCount: number };
  /** The queue is itself a dead-letter queue (of an EventBridge target, of the notifier): alarmed when not empty. */
  readonly isDeadLetterQueue?: boolean;
}

export const QUEUES = {
  /** Default worker queue for `agent` steps (Step Functions sends with a task token). */
  agentSteps: {
    id: 'AgentStepsQueue',
    localName: 'stepwise-agent-steps',
    visibilityTimeoutSeconds: 120,
    retentionDays: 4,
    deadLetter: { id: 'AgentStepsDlq', localName: 'stepwise-agent-steps-dlq', maxReceiveCount: 5 },
  },
  /** Execution status events that the task-events Lambda failed to process after its retries. */
  taskEventsDlq: {
    id: 'TaskEventsDlq',
    localName: 'stepwise-task-events-dlq',
    visibilityTimeoutSeconds: 30,
    retentionDays: 14,
    isDeadLetterQueue: true,
  },
  /** Alert deliveries the notifier gave up on (failed every attempt, or rate limited), to look at or resend. */
  alertDeliveriesDlq: {
    id: 'AlertDeliveriesDlq',
    localName: 'stepwise-alert-deliveries-dlq',
    visibilityTimeoutSeconds: 30,
    retentionDays: 14,
    isDeadLetterQueue: true,
  },
} as const satisfies Record<string, QueueShape>;

/** The local stack's worker queues are named under this prefix; a deployed stack's under its own (lib/workers.ts). */
export const LOCAL_WORKER_QUEUE_PREFIX = 'stepwise-worker-';

/**
 * A worker type's queue is named `<prefix><type>` and its DLQ that and `-dlq`, so the Lambdas derive both
 * URLs from the type and one URL prefix (WORKER_QUEUE_URL_PREFIX) rather than carry two URLs per type.
 */
export const workerQueueNames = (prefix: string, type: string) => ({
  queue: `${prefix}${type}`,
  deadLetter: `${prefix}${type}-dlq`,
});

/**
 * The queue (and DLQ) of each declared worker type (functions/shared/workers/worker-types.ts), which its
 * `agent` steps are sent to with a task token. A worker deletes a message when it claims it (the token is
 * the lease; Step Functions retries), so a message reaches the DLQ only after workers received it
 * maxReceiveCount times without claiming it (e.g. a crash between receive and delete).
 */
export function workerQueueShape(type: string): QueueShape {
  const id = type
    .split(/[-_]/)
    .map((word) => `${word[0]?.toUpperCase() ?? ''}${word.slice(1)}`)
    .join('');
  const names = workerQueueNames(LOCAL_WORKER_QUEUE_PREFIX, type);
  return {
    id: `WorkerQueue${id}`,
    localName: names.queue,
    visibilityTimeoutSeconds: 120,
    retentionDays: 4,
    deadLetter: { id: `WorkerDlq${id}`, localName: names.deadLetter, maxReceiveCount: 5 },
  };
}

/** A queue shape that is itself a dead-letter queue (of a Lambda's failed events, of alert deliveries). */
export const isDeadLetterQueue = (shape: QueueShape) => shape.localName.endsWith('-dlq');

/**
 * The local names of the dead-letter queues among these shapes: each one's DLQ, and the shapes that are
 * DLQs themselves (named `...-dlq`). The DLQ_NOT_EMPTY alert rule watches every one.
 */
export const deadLetterQueueNames = (shapes: readonly QueueShape[]): string[] =>
  shapes.flatMap((shape) => [
    ...(isDeadLetterQueue(shape) ? [shape.localName] : []),
    ...(shape.deadLetter ? [shape.deadLetter.localName] : []),
  ]);

export type Severity = 'CRITICAL' | 'WARNING' | 'INFO';

export interface TopicShape {
  readonly id: string;
  readonly localName: string;
  readonly severity: Severity;
}

/** Alert topics by severity; email subscriptions and the Slack/webhook notifier hang off them. */
export const TOPICS = {
  critical: { id: 'CriticalAlertsTopic', localName: 'stepwise-alerts-critical', severity: 'CRITICAL' },
  warning: { id: 'WarningAlertsTopic', localName: 'stepwise-alerts-warning', severity: 'WARNING' },
  info: { id: 'InfoAlertsTopic', localName: 'stepwise-alerts-info', severity: 'INFO' },
} as const satisfies Record<string, TopicShape>;

export interface FunctionShape {
  /** Folder under functions/ holding handler.ts. */
  readonly folder: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly description: string;
}

/**
 * How long a hold taken by an invocation of the function lasts (a claim, a lock): twice its timeout, past
 * which Lambda has stopped it, so a hold this old was left by an invocation that stopped.
 */
export const outlivesInvocationMs = (fn: FunctionShape): number => 2 * fn.timeoutSeconds * 1000;

/** Every Lambda the stack deploys, by the name routes, schedules and subscriptions refer to. */
export const FUNCTIONS = {
  health: {
    folder: 'health',
    memoryMb: 256,
    timeoutSeconds: 10,
    description: 'Reports the status of each stepwise component',
  },
  taskEvents: {
    folder: 'task-events',
    memoryMb: 256,
    timeoutSeconds: 30,
    description: 'Records Step Functions execution status changes and settles tasks',
  },
  docs: {
    folder: 'docs',
    memoryMb: 256,
    timeoutSeconds: 10,
    description: 'Serves the OpenAPI description of the HTTP API (GET /openapi.json)',
  },
  api: {
    folder: 'api',
    memoryMb: 512,
    timeoutSeconds: 29,
    description: 'The HTTP API: workflows and tasks',
  },
  registry: {
    folder: 'registry',
    memoryMb: 512,
    timeoutSeconds: 29,
    description: 'The HTTP API: workflow registration (validates, compiles, creates state machines)',
  },
  alerts: {
    folder: 'alerts',
    memoryMb: 256,
    timeoutSeconds: 29,
    description: 'The HTTP API: alerts, their acknowledgement and deliveries, alert rules and alert channels',
  },
  workers: {
    folder: 'workers',
    memoryMb: 256,
    timeoutSeconds: 29,
    description:
      'The HTTP API: workers, their stats, dead ones, and a sweep run now (POST /admin/workers/cleanup)',
  },
  metrics: {
    folder: 'metrics',
    memoryMb: 256,
    timeoutSeconds: 29,
    description: 'The HTTP API: the Prometheus exposition of the metric aggregates (GET /metrics)',
  },
  authorizer: {
    folder: 'authorizer',
    memoryMb: 256,
    timeoutSeconds: 10,
    description: 'HTTP API Lambda authorizer: JWT or API key, role per route',
  },
  stepRunner: {
    folder: 'step-runner',
    memoryMb: 1024,
    timeoutSeconds: 900,
    description:
      'Runs built-in step actions (http, llm, transform, lambda), requests approvals, and records attempts',
  },
  reconciler: {
    folder: 'reconciler',
    memoryMb: 256,
    timeoutSeconds: 120,
    description: 'Settles tasks whose execution ended without a status event reaching us',
  },
  agentReports: {
    folder: 'agent-reports',
    memoryMb: 256,
    timeoutSeconds: 10,
    description: 'Records the attempts of agent steps as workers claim and finish them',
  },
  sweeper: {
    folder: 'sweeper',
    memoryMb: 256,
    timeoutSeconds: 60,
    description:
      'Marks silent workers DEAD, fails their in-flight steps as Worker.Lost, evaluates the alert rules',
  },
  aggregator: {
    folder: 'aggregator',
    memoryMb: 512,
    timeoutSeconds: 120,
    description: 'Folds settled tasks into the hourly, daily and cumulative metric aggregates',
  },
  alertNotifier: {
    folder: 'alert-notifier',
    memoryMb: 256,
    // Channels are delivered in parallel: 3 attempts of 5 s with their backoff fit well within this.
    timeoutSeconds: 60,
    description: 'Delivers alerts from the alert topics to Slack and signed webhooks, with a delivery log',
  },
  live: {
    folder: 'live',
    memoryMb: 256,
    timeoutSeconds: 10,
    description: 'WebSocket API routes: connections, and subscribe/unsubscribe/ping messages of live updates',
  },
} as const satisfies Record<string, FunctionShape>;

export type FunctionName = keyof typeof FUNCTIONS;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteShape {
  readonly method: HttpMethod;
  /** API Gateway path syntax: `/tasks/{id}`. */
  readonly path: string;
  readonly handler: FunctionName;
  /**
   * Minimum role within an org, or 'public' for routes that need no credentials (health probes), or
   * 'OPERATOR' for routes only operators may use.
   */
  readonly access: Role | 'public';
  /**
   * Also open to OPERATOR (who has no org and reads across orgs). Only routes whose handler scopes
   * tenants to their own org and lets operators choose one (`?org=`) or all: reads, and the worker sweep
   * run on demand (POST /admin/workers/cleanup), which marks only workers already silent too long, the
   * acknowledgement of an alert (POST /admin/alerts/{id}/ack), which changes no one's data, and the alert
   * channels (PUT /admin/alert-channels), which operators set for the deployment or a named org.
   * @default false
   */
  readonly operators?: boolean;
}

/** The HTTP API. API Gateway (CDK) and the local HTTP server are both built from this table. */
export const ROUTES: readonly RouteShape[] = [
  { method: 'GET', path: '/health', handler: 'health', access: 'public' },
  { method: 'GET', path: '/openapi.json', handler: 'docs', access: 'public' },
  // Who the credential is (the console shows it); operators too, who have no org.
  { method: 'GET', path: '/me', handler: 'api', access: 'MEMBER', operators: true },
  { method: 'POST', path: '/workflows', handler: 'registry', access: 'ADMIN' },
  { method: 'GET', path: '/workflows', handler: 'api', access: 'MEMBER' },
  { method: 'GET', path: '/workflows/{id}', handler: 'api', access: 'MEMBER' },
  { method: 'POST', path: '/tasks', handler: 'api', access: 'MEMBER' },
  { method: 'GET', path: '/tasks', handler: 'api', access: 'MEMBER' },
  { method: 'GET', path: '/tasks/{id}', handler: 'api', access: 'MEMBER' },
  { method: 'POST', path: '/tasks/{id}/cancel', handler: 'api', access: 'MEMBER' },
  { method: 'GET', path: '/tasks/{id}/events', handler: 'api', access: 'MEMBER' },
  { method: 'GET', path: '/tasks/{id}/timeline', handler: 'api', access: 'MEMBER' },
  { method: 'GET', path: '/workflows/{id}/metrics', handler: 'api', access: 'MEMBER' },
  { method: 'GET', path: '/admin/metrics', handler: 'api', access: 'ADMIN', operators: true },
  { method: 'GET', path: '/admin/health', handler: 'api', access: 'ADMIN', operators: true },
  { method: 'GET', path: '/metrics', handler: 'metrics', access: 'ADMIN', operators: true },
  { method: 'GET', path: '/admin/tasks', handler: 'api', access: 'ADMIN', operators: true },
  { method: 'GET', path: '/admin/tasks/{id}', handler: 'api', access: 'ADMIN', operators: true },
  { method: 'GET', path: '/admin/tasks/{id}/timeline', handler: 'api', access: 'ADMIN', operators: true },
  { method: 'POST', path: '/api-keys', handler: 'api', access: 'OWNER' },
  { method: 'GET', path: '/api-keys', handler: 'api', access: 'OWNER' },
  { method: 'DELETE', path: '/api-keys/{keyId}', handler: 'api', access: 'OWNER' },
  { method: 'GET', path: '/approvals', handler: 'api', access: 'MEMBER' },
  { method: 'GET', path: '/tasks/{id}/approvals', handler: 'api', access: 'MEMBER' },
  // Approvers by role or user id, or OWNER/ADMIN: the handler checks who may decide (approvals/approval.ts).
  { method: 'POST', path: '/tasks/{id}/approvals/{stepId}', handler: 'api', access: 'MEMBER' },
  { method: 'GET', path: '/admin/workers', handler: 'workers', access: 'ADMIN', operators: true },
  { method: 'GET', path: '/admin/workers/stats', handler: 'workers', access: 'ADMIN', operators: true },
  { method: 'GET', path: '/admin/workers/dead', handler: 'workers', access: 'ADMIN', operators: true },
  { method: 'POST', path: '/admin/workers/cleanup', handler: 'workers', access: 'ADMIN', operators: true },
  // Alerts of the caller's org; operators every org's and the org-less ones (alerts/alert-access.ts).
  { method: 'GET', path: '/admin/alerts', handler: 'alerts', access: 'ADMIN', operators: true },
  { method: 'GET', path: '/admin/alerts/{id}', handler: 'alerts', access: 'ADMIN', operators: true },
  { method: 'POST', path: '/admin/alerts/{id}/ack', handler: 'alerts', access: 'ADMIN', operators: true },
  // Org and workflow levels for OWNER/ADMIN; the deployment level (no org) for OPERATOR only (the handler).
  { method: 'GET', path: '/admin/alert-rules', handler: 'alerts', access: 'ADMIN', operators: true },
  { method: 'PUT', path: '/admin/alert-rules', handler: 'alerts', access: 'ADMIN', operators: true },
  // Operators name the org (`?org=`) or the deployment's own channels (`?scope=deployment`).
  { method: 'GET', path: '/admin/alert-channels', handler: 'alerts', access: 'ADMIN', operators: true },
  { method: 'PUT', path: '/admin/alert-channels', handler: 'alerts', access: 'ADMIN', operators: true },
  {
    method: 'GET',
    path: '/admin/alerts/{id}/deliveries',
    handler: 'alerts',
    access: 'ADMIN',
    operators: true,
  },
];

/** The Lambda authorizer every route but the public ones goes through. */
export const AUTHORIZER_HANDLER: FunctionName = 'authorizer';

export interface WebSocketRouteShape {
  readonly routeKey: '$connect' | '$disconnect' | '$default';
  readonly handler: FunctionName;
  /** The handler's answer goes back to the client (a route response), as for subscribe/ping. */
  readonly returnResponse?: boolean;
}

/**
 * The WebSocket API of live updates (API Gateway on AWS; the local API port's `/live`): its stage, the
 * REQUEST authorizer of $connect (identity source the Sec-WebSocket-Protocol header) and its routes,
 * selected by `$request.body.action` (every action is served by $default).
 */
export const LIVE_API = {
  stageName: 'live',
  authorizer: AUTHORIZER_HANDLER,
  /** The writers' variable holding the stage's Management API endpoint (https://.../live). */
  endpointEnv: 'LIVE_ENDPOINT',
  routeSelectionExpression: '$request.body.action',
  routes: [
    { routeKey: '$connect', handler: 'live' },
    { routeKey: '$disconnect', handler: 'live' },
    { routeKey: '$default', handler: 'live', returnResponse: true },
  ] as readonly WebSocketRouteShape[],
} as const;

export interface ScheduleShape {
  readonly id: string;
  readonly handler: FunctionName;
  readonly rateMinutes: number;
  /** A shorter period for the local stack's timer (EventBridge rates start at one minute). */
  readonly localRateSeconds?: number;
}

/** EventBridge schedules on AWS; timers on the local stack. */
export const SCHEDULES: readonly ScheduleShape[] = [
  { id: 'ReconcileTasks', handler: 'reconciler', rateMinutes: 1 },
  { id: 'FoldMetricAggregates', handler: 'aggregator', rateMinutes: 1, localRateSeconds: 15 },
  // The local rate is STEPWISE_SWEEP_SECONDS when set (local/stack.ts).
  { id: 'SweepWorkers', handler: 'sweeper', rateMinutes: 1, localRateSeconds: 5 },
];

export interface SubscriptionShape {
  readonly topic: keyof typeof TOPICS;
  readonly handler: FunctionName;
}

/** SNS topics that invoke a Lambda. */
export const SUBSCRIPTIONS: readonly SubscriptionShape[] = [
  { topic: 'critical', handler: 'alertNotifier' },
  { topic: 'warning', handler: 'alertNotifier' },
  { topic: 'info', handler: 'alertNotifier' },
];

/** Step Functions status changes (EventBridge on AWS, the local endpoint's emitter here) go to this handler. */
export const EXECUTION_STATUS_HANDLER: FunctionName = 'taskEvents';
