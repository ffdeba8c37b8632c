// The alerting construct in the template: every alarm notifies its severity's topic on ALARM and on OK,
// there is one per function, dead-letter queue and the state machines, the task failure rate reads the
// EMF metrics the code emits, and `alertEmails` subscribes addresses with a severity filter policy that
// lets through what the publisher sends at the chosen severities (and CloudWatch's alarm notifications).
import { readFileSync } from 'node:fs';
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ALERT_KINDS, alertMessage } from '../../functions/shared/alerts/alert';
import { snsAlertPublisher } from '../../functions/shared/alerts/publish-alert';
import {
  FUNCTIONS,
  type FunctionName,
  QUEUES,
  type Severity,
  TOPICS,
} from '../../functions/shared/resources';
import {
  EMF_NAMESPACE,
  type EmfDocument,
  loadEmfConfig,
  taskMetricsToEmf,
} from '../../functions/shared/telemetry/emf-metrics';
import { ALARM_THRESHOLDS, type AlarmEntry, FAILURE_STATUSES } from '../../lib/alerting';
import type { TopicKey } from '../../lib/messaging';
import type { StepwiseStack } from '../../lib/stepwise-stack';
import { allowedActionsOn, functionStatements, logicalId, type Synthesized, synthesize } from './synth';

const WORKER_TYPES = [
  { name: 'research', orgs: [] },
  { name: 'code-review', orgs: [] },
];
const EMAILS = ['oncall@example.com', 'lead@example.com'];

type Resource = { Properties: Record<string, unknown> };
interface MetricStat {
  Metric: { Namespace: string; MetricName: string; Dimensions?: { Name: string; Value: unknown }[] };
  Stat: string;
}
interface MetricQuery {
  Id: string;
  Expression?: string;
  MetricStat?: MetricStat;
  ReturnData?: boolean;
}

const topicKeyOf = (severity: Severity) =>
  (Object.keys(TOPICS) as TopicKey[]).find((key) => TOPICS[key].severity === severity) as TopicKey;

/** The CloudFormation resource of each alarm the construct made, with its entry. */
function alarmResources(built: Synthesized): { entry: AlarmEntry; resource: Resource }[] {
  const alarms = built.template.findResources('AWS::CloudWatch::Alarm');
  return built.stack.alerting.alarms.map((entry) => {
    const resource = alarms[logicalId(built.stack, entry.alarm)];
    if (!resource) throw new Error(`no resource for ${entry.kind} ${entry.subject}`);
    return { entry, resource: resource as Resource };
  });
}

const alarmsOf = (built: Synthesized, kind: AlarmEntry['kind'], subject?: string) =>
  alarmResources(built).filter(
    ({ entry }) => entry.kind === kind && (subject === undefined || entry.subject === subject),
  );

const only = <T>(items: T[]): T => {
  expect(items).toHaveLength(1);
  return items[0] as T;
};

describe('CloudWatch alarms', () => {
  let built: Synthesized;
  let stack: StepwiseStack;
  let template: Template;
  beforeAll(() => {
    built = synthesize({ workerTypes: WORKER_TYPES, alertEmails: EMAILS.join(',') });
    ({ stack, template } = built);
  });

  it('every alarm in the template is one of the construct, with a severity', () => {
    const all = Object.keys(template.findResources('AWS::CloudWatch::Alarm')).sort();
    expect(
      alarmResources(built)
        .map(({ entry }) => logicalId(stack, entry.alarm))
        .sort(),
    ).toEqual(all);
    expect(all.length).toBeGreaterThan(2 * Object.keys(FUNCTIONS).length);
  });

  it('every alarm notifies the topic of its severity on ALARM and on OK, and no other', () => {
    for (const { entry, resource } of alarmResources(built)) {
      const topic = { Ref: logicalId(stack, stack.messaging.topics[topicKeyOf(entry.severity)]) };
      expect(resource.Properties, `${entry.kind} ${entry.subject}`).toMatchObject({
        AlarmActions: [topic],
        OKActions: [topic],
      });
      expect(resource.Properties.ActionsEnabled).not.toBe(false);
      expect(resource.Properties.InsufficientDataActions).toBeUndefined();
    }
  });

  it('every alarm treats missing data as not breaching, is named after the stack and says what to do', () => {
    for (const { entry, resource } of alarmResources(built)) {
      const { TreatMissingData, AlarmName, AlarmDescription, EvaluationPeriods } = resource.Properties;
      expect(TreatMissingData).toBe('notBreaching');
      expect(AlarmName).toMatch(new RegExp(`^${stack.stackName}-${entry.kind}-`));
      expect(AlarmDescription).toMatch(new RegExp(`^\\[${entry.severity}\\] .{40,}`));
      expect(EvaluationPeriods).toBeGreaterThanOrEqual(1);
    }
  });

  it('the topics let CloudWatch publish for the alarms named after this stack, and only those', () => {
    const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy'));
    for (const key of Object.keys(TOPICS) as TopicKey[]) {
      const topicRef = { Ref: logicalId(stack, stack.messaging.topics[key]) };
      const statements = policies
        .filter((policy) => JSON.stringify(policy.Properties.Topics) === JSON.stringify([topicRef]))
        .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
      const allow = only(
        statements.filter(
          (statement: { Principal?: { Service?: string } }) =>
            statement.Principal?.Service === 'cloudwatch.amazonaws.com',
        ),
      );
      expect(allow).toMatchObject({ Effect: 'Allow', Action: 'sns:Publish', Resource: topicRef });
      const sourceArn = JSON.stringify(allow.Condition.ArnLike['aws:SourceArn']);
      expect(sourceArn).toContain(`:alarm:${stack.stackName}-*`);
      expect(allow.Condition.StringEquals['aws:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
    }
  });

  it.each(Object.keys(FUNCTIONS) as FunctionName[])(
    '%s has an errors and a throttles alarm on its own metrics',
    (name) => {
      const fn = { Ref: logicalId(stack, stack.functions[name]) };
      const byFunction = [{ Name: 'FunctionName', Value: fn }];
      const throttles = only(alarmsOf(built, 'FUNCTION_THROTTLES', name));
      expect(throttles.resource.Properties).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'Throttles',
        Dimensions: byFunction,
        Statistic: 'Sum',
        Threshold: ALARM_THRESHOLDS.functionThrottles,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
      const errors = only(alarmsOf(built, 'FUNCTION_ERRORS', name));
      if (name !== 'stepRunner') {
        expect(errors.resource.Properties).toMatchObject({
          Namespace: 'AWS/Lambda',
          MetricName: 'Errors',
          Dimensions: byFunction,
          Statistic: 'Sum',
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        });
        return;
      }
      // The step runner fails an invocation per failed step attempt: its errors are a rate of invocations.
      const queries = errors.resource.Properties.Metrics as MetricQuery[];
      const stats = queries
        .filter((query) => query.MetricStat)
        .map((query) => query.MetricStat as MetricStat);
      expect(stats.map((stat) => [stat.Metric.MetricName, stat.Metric.Dimensions]).sort()).toEqual([
        ['Errors', byFunction],
        ['Invocations', byFunction],
      ]);
      expect(only(queries.filter((query) => query.ReturnData !== false)).Expression).toBe(
        `IF(invocations >= ${ALARM_THRESHOLDS.stepRunnerErrorRate.minInvocations}, 100 * FILL(errors, 0) / invocations, 0)`,
      );
      expect(errors.resource.Properties.Threshold).toBe(ALARM_THRESHOLDS.stepRunnerErrorRate.percent);
    },
  );

  it('every dead-letter queue (of a queue, a rule target, or a shape that is one) has a depth alarm', () => {
    const getAttId = (value: unknown) =>
      (value as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt']?.[0];
    const deadLetterIds = new Set<string>();
    for (const queue of Object.values(template.findResources('AWS::SQS::Queue'))) {
      const target = getAttId(queue.Properties.RedrivePolicy?.deadLetterTargetArn);
      if (target) deadLetterIds.add(target);
    }
    for (const rule of Object.values(template.findResources('AWS::Events::Rule'))) {
      for (const target of rule.Properties.Targets ?? []) {
        const id = getAttId(target.DeadLetterConfig?.Arn);
        if (id) deadLetterIds.add(id);
      }
    }
    for (const subscription of Object.values(template.findResources('AWS::SNS::Subscription'))) {
      const id = getAttId(subscription.Properties.RedrivePolicy?.deadLetterTargetArn);
      if (id) deadLetterIds.add(id);
    }
    for (const [key, shape] of Object.entries(QUEUES)) {
      if ('isDeadLetterQueue' in shape && shape.isDeadLetterQueue) {
        deadLetterIds.add(logicalId(stack, stack.messaging.queues[key as keyof typeof QUEUES]));
      }
    }
    // Shared ones, the task-events DLQ and one per worker type at least.
    expect(deadLetterIds.size).toBeGreaterThanOrEqual(2 + WORKER_TYPES.length);

    const depthAlarms = alarmsOf(built, 'DLQ_NOT_EMPTY');
    const watched = depthAlarms.map(({ resource }) => {
      expect(resource.Properties).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Statistic: 'Maximum',
        Period: 60,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
      const [dimension] = resource.Properties.Dimensions as { Name: string; Value: unknown }[];
      expect(dimension?.Name).toBe('QueueName');
      return getAttId(dimension?.Value);
    });
    expect(watched.sort()).toEqual([...deadLetterIds].sort());
    for (const { entry } of depthAlarms) expect(entry.severity).toBe('WARNING');
  });

  it('the HTTP API has a CRITICAL 5xx-rate alarm and a WARNING p95-latency alarm on its own metrics', () => {
    const api = [{ Name: 'ApiId', Value: { Ref: logicalId(stack, stack.api.httpApi) } }];
    const rate = only(alarmsOf(built, 'API_5XX_RATE'));
    expect(rate.entry.severity).toBe('CRITICAL');
    const queries = rate.resource.Properties.Metrics as MetricQuery[];
    expect(
      queries
        .filter((query) => query.MetricStat)
        .map((query) => [query.Id, query.MetricStat?.Metric.MetricName, query.MetricStat?.Metric.Dimensions])
        .sort(),
    ).toEqual([
      ['errors', '5xx', api],
      ['requests', 'Count', api],
    ]);
    expect(rate.resource.Properties.Threshold).toBe(ALARM_THRESHOLDS.api5xxRate.percent);

    const latency = only(alarmsOf(built, 'API_LATENCY_P95'));
    expect(latency.entry.severity).toBe('WARNING');
    expect(latency.resource.Properties).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      MetricName: 'Latency',
      Dimensions: api,
      ExtendedStatistic: 'p95',
      Threshold: ALARM_THRESHOLDS.apiLatencyP95Ms,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
    });
  });

  it('Step Functions throttling is alarmed over the state machines by a Metrics Insights query', () => {
    const throttled = only(alarmsOf(built, 'EXECUTIONS_THROTTLED'));
    const [query] = throttled.resource.Properties.Metrics as MetricQuery[];
    expect(query?.Expression).toBe(
      'SELECT SUM(ExecutionThrottled) FROM SCHEMA("AWS/States", StateMachineArn)',
    );
    expect(throttled.resource.Properties).toMatchObject({
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  describe('the task failure rate', () => {
    /** `namespace|metric|dimension=value,...` of every metric the EMF documents declare. */
    const identities = (documents: EmfDocument[]) =>
      documents.flatMap((document) =>
        document._aws.CloudWatchMetrics.flatMap((directive) =>
          directive.Dimensions.flatMap((set) =>
            directive.Metrics.map(
              (metric) =>
                `${directive.Namespace}|${metric.Name}|${[...set]
                  .sort()
                  .map((name) => `${name}=${String(document[name])}`)
                  .join(',')}`,
            ),
          ),
        ),
      );

    it('alarms at WARNING above 20 % and at CRITICAL above 50 %, each on its own topic', () => {
      const alarms = alarmsOf(built, 'TASK_FAILURE_RATE');
      expect(
        alarms.map(({ entry, resource }) => [entry.severity, resource.Properties.Threshold]).sort(),
      ).toEqual([
        ['CRITICAL', 50],
        ['WARNING', 20],
      ]);
      for (const { resource } of alarms) {
        expect(resource.Properties.ComparisonOperator).toBe('GreaterThanThreshold');
      }
    });

    it('reads only metrics that settling a task emits, counting FAILED and TIMED_OUT over every status', () => {
      const config = loadEmfConfig({});
      const emitted = new Set(
        ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'].flatMap((status) =>
          identities(
            taskMetricsToEmf(
              {
                task: { taskId: 't1', workflowId: 'wf', status },
                metrics: { durationMs: 10, attempts: 1, retries: 0, steps: {} },
              },
              config,
              0,
            ),
          ),
        ),
      );
      for (const { resource } of alarmsOf(built, 'TASK_FAILURE_RATE')) {
        const queries = resource.Properties.Metrics as MetricQuery[];
        const read = queries
          .filter((query) => query.MetricStat)
          .map((query) => {
            const { Namespace, MetricName, Dimensions = [] } = query.MetricStat?.Metric ?? ({} as never);
            expect(query.MetricStat?.Stat).toBe('Sum');
            const dims = Dimensions.map(({ Name, Value }) => `${Name}=${String(Value)}`).sort();
            return { id: query.Id, identity: `${Namespace}|${MetricName}|${dims.join(',')}` };
          });
        for (const { identity } of read) expect(emitted, identity).toContain(identity);
        expect(read.every(({ identity }) => identity.startsWith(`${EMF_NAMESPACE}|`))).toBe(true);
        // The denominator is every settled task (no status dimension); the numerator the failure statuses.
        const statuses = read.map(({ identity }) => /status=([A-Z_]+)/.exec(identity)?.[1]).filter(Boolean);
        expect(statuses.sort()).toEqual([...FAILURE_STATUSES].sort());
        const expression = only(queries.filter((query) => query.ReturnData !== false)).Expression ?? '';
        expect(expression).toMatch(
          new RegExp(
            `^IF\\(settled >= ${ALARM_THRESHOLDS.taskFailureRate.minTasks}, 100 \\* \\(.+\\) / settled, 0\\)$`,
          ),
        );
        for (const { id } of read) expect(expression).toContain(id);
      }
    });
  });

  it('the README lists every alarm kind with its severity, and every alert kind in the catalogue', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const alarms = readme.slice(readme.indexOf('### CloudWatch alarms'));
    for (const { entry } of alarmResources(built)) {
      expect(alarms).toMatch(new RegExp(`\\| \`${entry.kind}\` \\|[^\\n]*${entry.severity}`));
    }
    const catalogue = readme.slice(readme.indexOf('### Alert catalogue'), readme.indexOf('### Email'));
    for (const kind of ALERT_KINDS) expect(catalogue).toContain(`| \`${kind}\` |`);
  });
});

describe('the alert notifier', () => {
  let built: Synthesized;
  beforeAll(() => {
    built = synthesize({ workerTypes: WORKER_TYPES, alertEmails: EMAILS.join(',') });
  });

  it('is subscribed to each of the three topics, unfiltered, and SNS may invoke it from each', () => {
    const { stack, template } = built;
    const notifier = { 'Fn::GetAtt': [logicalId(stack, stack.functions.alertNotifier), 'Arn'] };
    const subscriptions = Object.values(template.findResources('AWS::SNS::Subscription')).filter(
      (subscription) => JSON.stringify(subscription.Properties.Endpoint) === JSON.stringify(notifier),
    );
    const topics = (Object.keys(TOPICS) as TopicKey[]).map((key) => ({
      Ref: logicalId(stack, stack.messaging.topics[key]),
    }));
    expect(subscriptions.map((subscription) => subscription.Properties.TopicArn)).toEqual(
      expect.arrayContaining(topics),
    );
    expect(subscriptions).toHaveLength(topics.length);
    for (const subscription of subscriptions) {
      expect(subscription.Properties.Protocol).toBe('lambda');
      // Every severity: the channels' own severity and kind filters choose.
      expect(subscription.Properties.FilterPolicy).toBeUndefined();
    }
    for (const topic of topics) {
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        FunctionName: notifier,
        Principal: 'sns.amazonaws.com',
        SourceArn: topic,
      });
    }
  });

  it('parks the deliveries it gives up on in its DLQ: it may send there, knows the URL, and the DLQ is alarmed', () => {
    const { stack, template } = built;
    const dlq = stack.messaging.queues.alertDeliveriesDlq;
    const dlqId = logicalId(stack, dlq);
    expect(
      allowedActionsOn(functionStatements(built, 'alertNotifier'), { 'Fn::GetAtt': [dlqId, 'Arn'] }),
    ).toContain('sqs:SendMessage');
    const notifier =
      template.findResources('AWS::Lambda::Function')[logicalId(stack, stack.functions.alertNotifier)];
    expect(notifier?.Properties.Environment.Variables.ALERT_DELIVERIES_DLQ_URL).toEqual({ Ref: dlqId });
    const depth = only(
      alarmResources(built).filter(
        ({ entry, resource }) =>
          entry.kind === 'DLQ_NOT_EMPTY' &&
          JSON.stringify(resource.Properties.Dimensions) ===
            JSON.stringify([{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }]),
      ),
    );
    expect(depth.entry.subject).toBe(QUEUES.alertDeliveriesDlq.localName);
    expect(depth.entry.severity).toBe('WARNING');
  });

  it('sends an invocation that failed all of its asynchronous tries to the same DLQ', () => {
    const { stack, template } = built;
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(stack, stack.functions.alertNotifier) },
      DestinationConfig: {
        OnFailure: {
          Destination: { 'Fn::GetAtt': [logicalId(stack, stack.messaging.queues.alertDeliveriesDlq), 'Arn'] },
        },
      },
    });
  });

  it('has its own errors and throttles alarms, like every function', () => {
    expect(alarmsOf(built, 'FUNCTION_ERRORS', 'alertNotifier')).toHaveLength(1);
    expect(alarmsOf(built, 'FUNCTION_THROTTLES', 'alertNotifier')).toHaveLength(1);
  });
});

/** SNS's attribute filter, for the subset the email policy uses: string values and `exists`. */
function passes(
  policy: Record<string, (string | { exists: boolean })[]>,
  attributes: Record<string, { StringValue?: string }>,
): boolean {
  return Object.entries(policy).every(([name, conditions]) => {
    const value = attributes[name]?.StringValue;
    return conditions.some((condition) =>
      typeof condition === 'string' ? condition === value : condition.exists === (value !== undefined),
    );
  });
}

/** The message attributes the publisher sends for an alert of this severity. */
async function publishedAttributes(severity: Severity): Promise<Record<string, { StringValue?: string }>> {
  let attributes: Record<string, { StringValue?: string }> = {};
  const client = {
    send: async (command: { input: { MessageAttributes?: typeof attributes } }) => {
      attributes = command.input.MessageAttributes ?? {};
      return {};
    },
  };
  const arns = { CRITICAL: 'arn:critical', WARNING: 'arn:warning', INFO: 'arn:info' };
  const at = '2026-11-27T23:00:00.000Z';
  await snsAlertPublisher(
    client as never,
    arns,
  )(
    alertMessage('OPENED', {
      id: 'a1',
      dedupKey: 'WORKER_DEAD#w1',
      kind: 'WORKER_DEAD',
      severity,
      state: 'OPEN',
      title: 'Worker w1 is dead',
      summary: 'No heartbeat.',
      firstSeenAt: at,
      lastSeenAt: at,
      count: 1,
      links: { api: 'https://api.example.com/admin/alerts/a1' },
    }),
  );
  return attributes;
}

describe('email subscriptions', () => {
  const emailSubscriptions = (built: Synthesized) =>
    Object.values(built.template.findResources('AWS::SNS::Subscription')).filter(
      (subscription) => subscription.Properties.Protocol === 'email',
    );

  it.each([
    [undefined, ['CRITICAL', 'WARNING']],
    ['critical', ['CRITICAL']],
  ] as const)(
    'alertEmailSeverities=%s subscribes each address to the topics of %j only, filtered on severity',
    (severities, expected) => {
      const built = synthesize({
        workerTypes: WORKER_TYPES,
        alertEmails: EMAILS.join(','),
        ...(severities && { alertEmailSeverities: severities }),
      });
      const subscriptions = emailSubscriptions(built);
      expect(subscriptions).toHaveLength(EMAILS.length * expected.length);
      for (const severity of expected) {
        const topic = { Ref: logicalId(built.stack, built.stack.messaging.topics[topicKeyOf(severity)]) };
        for (const email of EMAILS) {
          const subscription = only(
            subscriptions.filter(
              (s) =>
                s.Properties.Endpoint === email &&
                JSON.stringify(s.Properties.TopicArn) === JSON.stringify(topic),
            ),
          );
          expect(subscription.Properties.FilterPolicy).toEqual({
            severity: [...expected, { exists: false }],
          });
          expect(subscription.Properties.FilterPolicyScope ?? 'MessageAttributes').toBe('MessageAttributes');
        }
      }
    },
  );

  it('let through the alerts the publisher sends at the chosen severities and the alarm notifications', async () => {
    const built = synthesize({ workerTypes: WORKER_TYPES, alertEmails: EMAILS.join(',') });
    const policy = emailSubscriptions(built)[0]?.Properties.FilterPolicy;
    expect(passes(policy, await publishedAttributes('CRITICAL'))).toBe(true);
    expect(passes(policy, await publishedAttributes('WARNING'))).toBe(true);
    expect(passes(policy, await publishedAttributes('INFO'))).toBe(false);
    // CloudWatch publishes alarm state changes without message attributes.
    expect(passes(policy, {})).toBe(true);
  });

  it.each([
    [
      { alertEmails: 'oncall@example.com,not-an-address' },
      /alertEmails: not an email address: "not-an-address"/,
    ],
    [{ alertEmails: ' , ' }, /alertEmails lists no email address/],
    [
      { alertEmails: 'oncall@example.com', alertEmailSeverities: 'CRITICAL,LOUD' },
      /alertEmailSeverities must list severities among CRITICAL, WARNING, INFO, got "CRITICAL,LOUD"/,
    ],
  ])('a bad setting fails the synth naming it: %j', (context, message) => {
    expect(() => synthesize(context)).toThrow(message);
  });
});
