// CloudWatch alarms for what only AWS sees, and the email subscriptions of the alert topics.
//
// The sweeper's rules (functions/shared/alerts) see tasks, steps and workers in the table; these alarms see
// the platform around them: every function's errors and throttles, the HTTP API's 5xx rate and p95
// latency, every dead-letter queue's depth, Step Functions throttling, and the deployment-wide task failure
// rate from the EMF metrics (which keeps alarming if the sweeper itself is down). Each alarm notifies the
// topic of its severity when it fires AND when it clears (the OK action), so every problem notification is
// followed by its end; the notifier turns both into CLOUDWATCH_ALARM alerts.
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SEVERITIES } from '../functions/shared/alerts/alert';
import { ConfigurationError } from '../functions/shared/config';
import { type FunctionName, type Severity, TOPICS } from '../functions/shared/resources';
import type { TaskStatus } from '../functions/shared/tasks/task';
import { EMF_DIMENSIONS, EMF_METRICS, EMF_NAMESPACE } from '../functions/shared/telemetry/emf-metrics';
import { SERVICE_NAME } from '../functions/shared/telemetry/service-names';
import type { TopicKey } from './messaging';

/** What `alertEmailSeverities` defaults to: INFO (approval requests and the like) stays out of inboxes. */
export const DEFAULT_EMAIL_SEVERITIES: readonly Severity[] = ['CRITICAL', 'WARNING'];

/** The message attribute the publisher sets and email filter policies match. */
export const SEVERITY_ATTRIBUTE = 'severity';

/** Settled statuses that count as failures (as in the error-rate rule and the health score). */
export const FAILURE_STATUSES = ['FAILED', 'TIMED_OUT'] as const satisfies readonly TaskStatus[];

/** The stable identifiers of the alarms (the README's alarm list names them). */
export type AlarmKind =
  | 'FUNCTION_ERRORS'
  | 'FUNCTION_THROTTLES'
  | 'API_5XX_RATE'
  | 'API_LATENCY_P95'
  | 'DLQ_NOT_EMPTY'
  | 'EXECUTIONS_THROTTLED'
  | 'TASK_FAILURE_RATE';

/**
 * Default thresholds. Periods are 5 minutes, the rules' window, except the DLQ depth (1 minute: SQS
 * publishes it every minute and one message is already the problem).
 */
export const ALARM_THRESHOLDS = {
  /** Errors in 5 minutes, per function (its code failed: a bug, a timeout, a dependency down). */
  functionErrors: 1,
  /**
   * The step runner fails an invocation for every failed step attempt (Step Functions retries on the
   * error's name), so its errors are a rate: % of invocations, with at least `minInvocations`.
   */
  stepRunnerErrorRate: { percent: 50, minInvocations: 10 },
  /** Throttled invocations in 5 minutes, per function (concurrency limit reached). */
  functionThrottles: 1,
  /** % of API requests answered 5xx, with at least `minRequests` in the period. */
  api5xxRate: { percent: 5, minRequests: 20 },
  /** p95 API latency in ms, in 2 of 3 consecutive periods (a single cold-start burst does not count). */
  apiLatencyP95Ms: 2000,
  /** Messages visible in a dead-letter queue. */
  dlqDepth: 0,
  /** Throttled state transitions in 5 minutes, over the state machines of the account and region. */
  executionsThrottled: 0,
  /** % of settled tasks FAILED or TIMED_OUT, with at least `minTasks` settled (the error-rate rule's). */
  taskFailureRate: { warningPercent: 20, criticalPercent: 50, minTasks: 10 },
} as const;

/** Functions whose errors are judged as a rate (see `stepRunnerErrorRate`). */
const ERRORS_AS_RATE: readonly FunctionName[] = ['stepRunner'];

const PERIOD = Duration.minutes(5);

export interface AlertingProps {
  /** The alert topics; each alarm notifies the one of its severity. */
  readonly topics: Readonly<Record<TopicKey, sns.ITopic>>;
  /** Every function of the stack, by name: each gets an errors and a throttles alarm. */
  readonly functions: Readonly<Record<FunctionName, lambda.IFunction>>;
  readonly httpApi: apigw.IHttpApi;
  /** Every dead-letter queue, by queue name (the local name, e.g. `stepwise-agent-steps-dlq`). */
  readonly deadLetterQueues: Readonly<Record<string, sqs.IQueue>>;
  /**
   * Addresses subscribed (by email) to the topics of `emailSeverities`; each must confirm the
   * subscription from the email AWS sends.
   * @default - none
   */
  readonly emails?: readonly string[];
  /**
   * The severities emailed.
   * @default DEFAULT_EMAIL_SEVERITIES (CRITICAL, WARNING)
   */
  readonly emailSeverities?: readonly Severity[];
}

/** One alarm with what the README and the tests need to know of it. */
export interface AlarmEntry {
  readonly kind: AlarmKind;
  readonly severity: Severity;
  /** What it watches: a function name, a queue name, `api`, `tasks`, `state machines`. */
  readonly subject: string;
  readonly alarm: cloudwatch.Alarm;
}

interface AlarmSpec {
  readonly kind: AlarmKind;
  readonly severity: Severity;
  readonly subject: string;
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  /** What it means and what to do, in the alarm's description (the notification carries it). */
  readonly description: string;
  readonly evaluationPeriods?: number;
  readonly datapointsToAlarm?: number;
  readonly comparison?: cloudwatch.ComparisonOperator;
  /** Tells apart the alarms of one kind and subject, in the name. */
  readonly qualifier?: string;
}

export class Alerting extends Construct {
  readonly alarms: readonly AlarmEntry[];
  /** The email subscriptions, by topic key. */
  readonly emailSubscriptions: Readonly<Partial<Record<TopicKey, readonly sns.Subscription[]>>>;
  private readonly entries: AlarmEntry[] = [];
  private readonly alarmNamePrefix: string;
  private readonly topics: Readonly<Record<TopicKey, sns.ITopic>>;

  constructor(scope: Construct, id: string, props: AlertingProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.alarmNamePrefix = `${stack.stackName}-`;
    this.topics = props.topics;
    this.allowAlarmsToPublish(props.topics);

    for (const [name, fn] of Object.entries(props.functions) as [FunctionName, lambda.IFunction][]) {
      this.functionAlarms(name, fn);
    }
    this.apiAlarms(props.httpApi);
    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      this.dlqAlarm(name, queue);
    }
    this.executionsThrottledAlarm();
    this.taskFailureRateAlarms();
    this.alarms = this.entries;

    this.emailSubscriptions = subscribeEmails(
      props.topics,
      props.emails ?? [],
      props.emailSeverities ?? DEFAULT_EMAIL_SEVERITIES,
    );
  }

  /**
   * CloudWatch publishes alarm notifications as the cloudwatch.amazonaws.com service; the topics' policies
   * (which enforceSSL creates, replacing SNS's default policy) allow it for this stack's alarms only.
   */
  private allowAlarmsToPublish(topics: Readonly<Record<TopicKey, sns.ITopic>>): void {
    const stack = Stack.of(this);
    for (const topic of Object.values(topics)) {
      topic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'CloudWatchAlarmsPublish',
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [topic.topicArn],
          conditions: {
            StringEquals: { 'aws:SourceAccount': stack.account },
            ArnLike: {
              'aws:SourceArn': stack.formatArn({
                service: 'cloudwatch',
                resource: 'alarm',
                resourceName: `${this.alarmNamePrefix}*`,
                arnFormat: ArnFormat.COLON_RESOURCE_NAME,
              }),
            },
          },
        }),
      );
    }
  }

  private functionAlarms(name: FunctionName, fn: lambda.IFunction): void {
    const sum = { statistic: cloudwatch.Stats.SUM, period: PERIOD };
    if (ERRORS_AS_RATE.includes(name)) {
      const { percent, minInvocations } = ALARM_THRESHOLDS.stepRunnerErrorRate;
      this.alarm(`${name}Errors`, {
        kind: 'FUNCTION_ERRORS',
        severity: 'WARNING',
        subject: name,
        metric: new cloudwatch.MathExpression({
          expression: `IF(invocations >= ${minInvocations}, 100 * FILL(errors, 0) / invocations, 0)`,
          usingMetrics: { errors: fn.metricErrors(sum), invocations: fn.metricInvocations(sum) },
          label: `${name} error rate %`,
          period: PERIOD,
        }),
        threshold: percent,
        description: `More than ${percent} % of the ${name} function's invocations failed (at least ${minInvocations} in 5 minutes). Each failed step attempt counts, so look for a step provider or endpoint that is down (the steps' errors in GET /tasks/{id}/events) before looking at the function itself.`,
      });
    } else {
      this.alarm(`${name}Errors`, {
        kind: 'FUNCTION_ERRORS',
        severity: 'WARNING',
        subject: name,
        metric: fn.metricErrors(sum),
        threshold: ALARM_THRESHOLDS.functionErrors,
        comparison: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        description: `The ${name} function failed (an uncaught error or a timeout) in the last 5 minutes. Read its ERROR log lines (Logs Insights on its log group) for the error and the request it belongs to.`,
      });
    }
    this.alarm(`${name}Throttles`, {
      kind: 'FUNCTION_THROTTLES',
      severity: 'WARNING',
      subject: name,
      metric: fn.metricThrottles(sum),
      threshold: ALARM_THRESHOLDS.functionThrottles,
      comparison: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      description: `Invocations of the ${name} function were throttled in the last 5 minutes: the account's (or the function's reserved) concurrency is exhausted. Raise the Lambda concurrency quota or find what floods the function.`,
    });
  }

  private apiAlarms(httpApi: apigw.IHttpApi): void {
    const sum = { statistic: cloudwatch.Stats.SUM, period: PERIOD };
    const { percent, minRequests } = ALARM_THRESHOLDS.api5xxRate;
    this.alarm('Api5xxRate', {
      kind: 'API_5XX_RATE',
      severity: 'CRITICAL',
      subject: 'api',
      metric: new cloudwatch.MathExpression({
        expression: `IF(requests >= ${minRequests}, 100 * FILL(errors, 0) / requests, 0)`,
        usingMetrics: { errors: httpApi.metricServerError(sum), requests: httpApi.metricCount(sum) },
        label: 'API 5xx rate %',
        period: PERIOD,
      }),
      threshold: percent,
      description: `More than ${percent} % of the HTTP API's requests were answered 5xx in 5 minutes (at least ${minRequests} requests). Clients are failing: check the api and authorizer functions' errors and throttles, and the table's throttles.`,
    });
    this.alarm('ApiLatencyP95', {
      kind: 'API_LATENCY_P95',
      severity: 'WARNING',
      subject: 'api',
      metric: httpApi.metricLatency({ statistic: cloudwatch.Stats.p(95), period: PERIOD }),
      threshold: ALARM_THRESHOLDS.apiLatencyP95Ms,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      description: `The HTTP API's p95 latency was above ${ALARM_THRESHOLDS.apiLatencyP95Ms} ms in 2 of the last 3 five-minute periods. See the dashboard's latency and Lambda duration graphs: a slow dependency, cold starts, or table throttling.`,
    });
  }

  private dlqAlarm(name: string, queue: sqs.IQueue): void {
    this.alarm(`Dlq${pascal(name)}`, {
      kind: 'DLQ_NOT_EMPTY',
      severity: 'WARNING',
      subject: name,
      // Maximum over the minute: a message counts even if someone drains the queue meanwhile.
      metric: queue.metricApproximateNumberOfMessagesVisible({
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.minutes(1),
      }),
      threshold: ALARM_THRESHOLDS.dlqDepth,
      description: `The dead-letter queue ${name} holds messages: something was given up after its retries. Read the messages (aws sqs receive-message), fix the cause, then redrive them (aws sqs start-message-move-task) or delete them.`,
    });
  }

  /**
   * State machines are created at runtime (one per workflow version), so their ARNs are unknown here, and
   * Metrics Insights filters only on exact values: the query sums ExecutionThrottled over every state
   * machine of the account and region. Throttling comes from the account's shared state-transition quota,
   * so another application's throttling slows stepwise's workflows too.
   */
  private executionsThrottledAlarm(): void {
    this.alarm('ExecutionsThrottled', {
      kind: 'EXECUTIONS_THROTTLED',
      severity: 'WARNING',
      subject: 'state machines',
      metric: new cloudwatch.MathExpression({
        expression: 'SELECT SUM(ExecutionThrottled) FROM SCHEMA("AWS/States", StateMachineArn)',
        label: 'throttled state transitions',
        period: PERIOD,
      }),
      threshold: ALARM_THRESHOLDS.executionsThrottled,
      description:
        'Step Functions throttled state transitions in the last 5 minutes: workflows run slower than asked. Request a higher StateTransition quota (Service Quotas) or spread task starts out.',
    });
  }

  /**
   * The share of settled tasks that failed, over every workflow (EMF TasksSettled by status, the metric
   * task-events, the api and the reconciler publish when a task settles), at the two thresholds of the
   * error-rate rule. With fewer than minTasks tasks in the period the rate reads 0: one failure in three
   * tasks is not an outage.
   */
  private taskFailureRateAlarms(): void {
    const { warningPercent, criticalPercent, minTasks } = ALARM_THRESHOLDS.taskFailureRate;
    const settled = (status?: TaskStatus) =>
      new cloudwatch.Metric({
        namespace: EMF_NAMESPACE,
        metricName: EMF_METRICS.tasksSettled.name,
        dimensionsMap: {
          [EMF_DIMENSIONS.service]: SERVICE_NAME,
          ...(status && { [EMF_DIMENSIONS.status]: status }),
        },
        statistic: cloudwatch.Stats.SUM,
        period: PERIOD,
      });
    const failed = Object.fromEntries(
      FAILURE_STATUSES.map((status) => [status.toLowerCase(), settled(status)]),
    );
    const failures = Object.keys(failed)
      .map((id) => `FILL(${id}, 0)`)
      .join(' + ');
    const rate = new cloudwatch.MathExpression({
      expression: `IF(settled >= ${minTasks}, 100 * (${failures}) / settled, 0)`,
      usingMetrics: { settled: settled(), ...failed },
      label: 'task failure rate %',
      period: PERIOD,
    });
    for (const [severity, percent] of [
      ['WARNING', warningPercent],
      ['CRITICAL', criticalPercent],
    ] as const) {
      this.alarm(`TaskFailureRate${pascal(severity.toLowerCase())}`, {
        kind: 'TASK_FAILURE_RATE',
        severity,
        subject: 'tasks',
        qualifier: severity,
        metric: rate,
        threshold: percent,
        description: `More than ${percent} % of the tasks that settled in the last 5 minutes (at least ${minTasks}) FAILED or TIMED_OUT, over every workflow. GET /admin/metrics and the open ERROR_RATE alerts (GET /admin/alerts?kind=ERROR_RATE) name the workflows; GET /tasks/{id}/events the errors.`,
      });
    }
  }

  /** An alarm that notifies its severity's topic on ALARM and on OK; no data is no problem. */
  private alarm(id: string, spec: AlarmSpec): void {
    const alarm = new cloudwatch.Alarm(this, `${id}Alarm`, {
      alarmName: [this.alarmNamePrefix + spec.kind, spec.subject, spec.qualifier]
        .filter(Boolean)
        .join('-')
        .replaceAll(' ', '-'),
      alarmDescription: `[${spec.severity}] ${spec.description}`,
      metric: spec.metric,
      threshold: spec.threshold,
      comparisonOperator: spec.comparison ?? cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: spec.evaluationPeriods ?? 1,
      datapointsToAlarm: spec.datapointsToAlarm ?? spec.evaluationPeriods ?? 1,
      // Idle functions, an API without requests, inactive (empty) queues and periods without tasks
      // publish nothing: that is the healthy case.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const action = new actions.SnsAction(topicOf(this.topics, spec.severity));
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.entries.push({ kind: spec.kind, severity: spec.severity, subject: spec.subject, alarm });
  }
}

function topicOf(topics: Readonly<Record<TopicKey, sns.ITopic>>, severity: Severity): sns.ITopic {
  const key = (Object.keys(TOPICS) as TopicKey[]).find((topicKey) => TOPICS[topicKey].severity === severity);
  if (!key) throw new ConfigurationError(`TOPICS: no alert topic has severity ${severity}`);
  return topics[key];
}

/**
 * Each address is subscribed to the topics of the chosen severities only, with a filter policy on the
 * `severity` attribute: alerts of another severity are dropped, and so would be CloudWatch alarm
 * notifications, which carry no message attributes at all, hence the `exists: false` branch (their
 * severity is their topic's). Subscribing to every topic and filtering would let the alarms of unchosen
 * topics through.
 */
function subscribeEmails(
  topics: Readonly<Record<TopicKey, sns.ITopic>>,
  emails: readonly string[],
  severities: readonly Severity[],
): Partial<Record<TopicKey, sns.Subscription[]>> {
  const chosen = parseAlertEmailSeverities(severities.join(','), 'emailSeverities');
  for (const email of emails) parseAlertEmails(email, 'emails');
  const filterPolicy = {
    [SEVERITY_ATTRIBUTE]: new sns.SubscriptionFilter([
      ...sns.SubscriptionFilter.stringFilter({ allowlist: [...chosen] }).conditions,
      ...sns.SubscriptionFilter.notExistsFilter().conditions,
    ]),
  };
  const subscribed: Partial<Record<TopicKey, sns.Subscription[]>> = {};
  for (const key of Object.keys(TOPICS) as TopicKey[]) {
    if (emails.length === 0 || !chosen.includes(TOPICS[key].severity)) continue;
    const topic = topics[key];
    subscribed[key] = emails.map((email) =>
      topic.addSubscription(new subscriptions.EmailSubscription(email, { filterPolicy })),
    );
  }
  return subscribed;
}

export class InvalidAlertSetting extends ConfigurationError {
  override name = 'InvalidAlertSetting';
}

// An address SNS accepts for the email protocol: one @, a dot in the domain, no spaces or commas.
const EMAIL = /^[^\s@,]+@[^\s@,]+\.[^\s@,.]+$/;

/** `alertEmails`: comma-separated addresses; `source` names the setting in the error. */
export function parseAlertEmails(raw: string, source: string): string[] {
  const emails = raw
    .split(',')
    .map((email) => email.trim())
    .filter(Boolean);
  if (emails.length === 0) throw new InvalidAlertSetting(`${source} lists no email address`);
  const bad = emails.filter((email) => !EMAIL.test(email));
  if (bad.length > 0) {
    throw new InvalidAlertSetting(
      `${source}: not an email address: ${bad.map((email) => JSON.stringify(email)).join(', ')}`,
    );
  }
  return [...new Set(emails)];
}

/** `alertEmailSeverities`: comma-separated severities, at least one; `source` names the setting. */
export function parseAlertEmailSeverities(raw: string, source: string): Severity[] {
  const values = raw
    .split(',')
    .map((value) => value.trim().toUpperCase())
    .filter(Boolean);
  const bad = values.filter((value) => !(SEVERITIES as readonly string[]).includes(value));
  if (bad.length > 0 || values.length === 0) {
    throw new InvalidAlertSetting(
      `${source} must list severities among ${SEVERITIES.join(', ')}, got ${JSON.stringify(raw)}`,
    );
  }
  return [...new Set(values as Severity[])];
}

function pascal(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => `${word[0]?.toUpperCase() ?? ''}${word.slice(1)}`)
    .join('');
}
