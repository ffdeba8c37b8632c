// The alert rules against the embedded DynamoDB and SQS, through the real alerting service and its store:
// each rule raises on its condition (tasks settled and folded as the settle write and the folder leave
// them, open steps as the step recorder writes them, a real queue's depth) and resolves when it clears.
// A table of its own, since the rules read across orgs and the folder's and the TASK_FAILED rule's
// watermarks are one per table; the rules run on a clock of the test's.
import { randomUUID } from 'node:crypto';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import type { AlertMessage, AlertRecord } from '../../functions/shared/alerts/alert';
import { DynamoAlertStore } from '../../functions/shared/alerts/alert-store';
import { createAlerting } from '../../functions/shared/alerts/alerting';
import { dlqKey, dlqRule, queueNameOf, sqsQueueDepth } from '../../functions/shared/alerts/rules/dlq-rule';
import { loadDlqUrls } from '../../functions/shared/alerts/rules/dlq-urls';
import {
  errorRateRule,
  orgErrorRateKey,
  workflowErrorRateKey,
} from '../../functions/shared/alerts/rules/error-rate-rule';
import { type AlertRule, evaluateRules } from '../../functions/shared/alerts/rules/evaluate-rules';
import { DynamoFailedTasks } from '../../functions/shared/alerts/rules/failed-tasks';
import { DynamoOpenWork } from '../../functions/shared/alerts/rules/open-work';
import { retryingStepRule, stepRetryingKey } from '../../functions/shared/alerts/rules/retrying-step-rule';
import type { AlertRulesLevel } from '../../functions/shared/alerts/rules/rule-config';
import { DynamoAlertRulesStore } from '../../functions/shared/alerts/rules/rule-config-store';
import { slowTasksKey, slowTasksRule } from '../../functions/shared/alerts/rules/slow-tasks-rule';
import { stuckTaskRule, taskStuckKey } from '../../functions/shared/alerts/rules/stuck-task-rule';
import { taskFailedKey, taskFailedRule } from '../../functions/shared/alerts/rules/task-failed-rule';
import { UpdateCommand } from '../../functions/shared/clients/table-commands';
import { WorkflowStore } from '../../functions/shared/registry/workflow-store';
import type { Task } from '../../functions/shared/tasks/task';
import { listShardOf } from '../../functions/shared/tasks/task-index-keys';
import { type AttemptStart, DynamoTaskStore, type StepRef } from '../../functions/shared/tasks/task-store';
import { DynamoAggregateStore } from '../../functions/shared/telemetry/aggregate-store';
import { foldUntilCaughtUp } from '../../functions/shared/telemetry/fold-aggregates';
import { loadWorkerQueueNamePrefix, loadWorkerTypes } from '../../functions/shared/workers/worker-types';
import { createTable } from '../../local/dynamodb';
import { localClients, stepwiseClients } from '../support/aws-clients';
import { type SeededTask, seedSettledTask, simpleMetrics } from '../support/settled-tasks';

const endpoints = inject('endpoints');
const { dynamodb, documents, sqs } = localClients(endpoints);
const RUN = randomUUID().slice(0, 8);
const tableName = `stepwise-rules-${RUN}`;
const ORG = `rules-org-${RUN}`;

const alertStore = new DynamoAlertStore(documents, tableName);
const rulesStore = new DynamoAlertRulesStore(documents, tableName);
const aggregates = new DynamoAggregateStore(documents, tableName);
const tasks = new DynamoTaskStore(documents, tableName);
const openWork = new DynamoOpenWork(documents, tableName);
const workflows = new WorkflowStore(documents, tableName);

// The rules' clock: it only moves forward (the watermarks are the table's), from a whole minute.
let clock = Math.floor(Date.parse('2026-06-01T12:00:00.000Z') / 60_000) * 60_000;
const at = (offsetMs = 0) => new Date(clock + offsetMs).toISOString();
const published: AlertMessage[] = [];

const alertingFor = (cooldownSeconds: number) =>
  createAlerting({
    store: alertStore,
    publish: async (message) => void published.push(message),
    now: () => new Date(clock),
    cooldownSeconds,
    links: { apiBaseUrl: 'https://api.example.test' },
  });

/** One sweeper run of `rules` (after the aggregator's fold, which runs every minute beside it). */
async function sweep(rules: AlertRule[], onError?: (error: unknown, rule: string) => void) {
  await foldUntilCaughtUp({ store: aggregates, now: () => new Date(clock) });
  return evaluateRules(rules, {
    loadBook: () => rulesStore.book(),
    alertingFor,
    now: () => new Date(clock),
    onError,
  });
}

/** A sweep in which every rule succeeds. */
async function evaluate(...rules: AlertRule[]) {
  const report = await sweep(rules);
  expect(report.failed).toEqual([]);
  return report;
}

const eventsOf = (dedupKey: string) =>
  published
    .filter((message) => message.alert.dedupKey === dedupKey)
    .map((message) => `${message.event} ${message.alert.severity}`);

async function alertOf(dedupKey: string): Promise<AlertRecord | undefined> {
  const found = (await alertStore.lookup(dedupKey)).alert;
  return found && { ...found };
}

const setWorkflowRules = (workflowId: string, rules: AlertRulesLevel) =>
  rulesStore.put({ scope: 'workflow', orgId: ORG, workflowId }, rules, 'test', at());

let seeded = 0;
async function settle(workflowId: string, status: SeededTask['status'], durationMs = 100, offsetMs = 0) {
  const task: SeededTask = {
    taskId: `rules-${RUN}-${seeded++}`,
    orgId: ORG,
    workflowId,
    status,
    settledAtMs: clock + offsetMs,
    metrics: simpleMetrics(durationMs, 5),
  };
  await seedSettledTask(documents, tableName, task);
  return task.taskId;
}
const settleMany = (workflowId: string, status: SeededTask['status'], count: number, durationMs = 100) =>
  Promise.all(Array.from({ length: count }, () => settle(workflowId, status, durationMs)));

/** Moves the clock past the current 10 s slot and the folder's grace, so what settled is folded. */
const passSlot = () => {
  clock += 20_000;
};

beforeAll(async () => {
  await createTable(dynamodb, tableName);
});

describe('alert rules', () => {
  it('ERROR_RATE: opens a WARNING, escalates it to CRITICAL, resolves it when the rate drops', async () => {
    const wf = 'orders';
    await setWorkflowRules(wf, { errorRate: { minTasks: 5, windowMinutes: 3 } });
    const key = workflowErrorRateKey(ORG, wf);

    await settleMany(wf, 'FAILED', 3);
    await settleMany(wf, 'SUCCEEDED', 7);
    passSlot();
    await evaluate(errorRateRule({ aggregates }));
    const opened = await alertOf(key);
    expect(opened).toMatchObject({
      state: 'OPEN',
      severity: 'WARNING',
      value: 0.3,
      threshold: 0.2,
      org: ORG,
      workflow: wf,
    });
    expect(opened?.summary).toContain('3 of 10 tasks');
    // The org: 10 tasks reach its default minTasks, at the same 30 %.
    expect(await alertOf(orgErrorRateKey(ORG))).toMatchObject({ state: 'OPEN', severity: 'WARNING' });

    await settleMany(wf, 'TIMED_OUT', 6);
    passSlot();
    await evaluate(errorRateRule({ aggregates }));
    const escalated = await alertOf(key);
    expect(escalated).toMatchObject({ id: opened?.id, state: 'OPEN', severity: 'CRITICAL', value: 0.5625 });

    // Seen again at the same rate: counted, not published.
    await evaluate(errorRateRule({ aggregates }));
    expect((await alertOf(key))?.count).toBe(3);

    await settleMany(wf, 'SUCCEEDED', 30);
    passSlot();
    await evaluate(errorRateRule({ aggregates }));
    expect(await alertOf(key)).toMatchObject({ id: opened?.id, state: 'RESOLVED' });
    expect(eventsOf(key)).toEqual(['OPENED WARNING', 'ESCALATED CRITICAL', 'RESOLVED CRITICAL']);
    expect(eventsOf(orgErrorRateKey(ORG))).toEqual([
      'OPENED WARNING',
      'ESCALATED CRITICAL',
      'RESOLVED CRITICAL',
    ]);
  });

  it('ERROR_RATE: resolves when the window holds fewer than minTasks, and stays quiet below minTasks', async () => {
    const wf = 'short-window';
    await setWorkflowRules(wf, { errorRate: { minTasks: 5, windowMinutes: 1 } });
    const key = workflowErrorRateKey(ORG, wf);
    clock += 60_000;
    await settleMany('few', 'FAILED', 4); // below the default minTasks of 10: nothing
    await settleMany(wf, 'FAILED', 5);
    passSlot();
    await evaluate(errorRateRule({ aggregates }));
    expect(await alertOf(key)).toMatchObject({ state: 'OPEN', severity: 'CRITICAL', value: 1 });
    expect(await alertOf(workflowErrorRateKey(ORG, 'few'))).toBeUndefined();

    clock += 60_000; // the failures leave the one-minute window
    await evaluate(errorRateRule({ aggregates }));
    const resolved = await alertOf(key);
    expect(resolved?.state).toBe('RESOLVED');
    expect(published.filter((m) => m.alert.dedupKey === key).at(-1)?.alert.summary).toContain(
      'Fewer than 5 tasks',
    );
  });

  it('SLOW_TASKS: warns when the p95 goes over the threshold and resolves when it is back', async () => {
    const wf = 'slow';
    await setWorkflowRules(wf, { slowTasks: { minTasks: 3, p95AboveMs: 500 } });
    const key = slowTasksKey(ORG, wf);
    clock += 5 * 60_000;
    await settleMany(wf, 'SUCCEEDED', 4, 900);
    passSlot();
    await evaluate(slowTasksRule({ aggregates }));
    const opened = await alertOf(key);
    expect(opened).toMatchObject({ state: 'OPEN', severity: 'WARNING', threshold: 500 });
    expect(Math.abs((opened?.value ?? 0) - 900)).toBeLessThan(40); // the histogram's relative error

    await settleMany(wf, 'SUCCEEDED', 80, 100);
    passSlot();
    await evaluate(slowTasksRule({ aggregates }));
    expect(await alertOf(key)).toMatchObject({ state: 'RESOLVED' });
    expect(eventsOf(key)).toEqual(['OPENED WARNING', 'RESOLVED WARNING']);
  });

  const stepOf = (taskId: string, stepId: string, workflowId: string, stepType = 'transform'): StepRef => ({
    taskId,
    orgId: ORG,
    workflowId,
    stepId,
    stepType,
    taskRow: {
      taskId,
      orgId: ORG,
      workflowId,
      workflowVersion: 1,
      status: 'RUNNING',
      createdAt: at(-3_600_000),
    },
  });

  it('TASK_STUCK: a step RUNNING past its timeout + 1 min and a task PENDING past 15 min, resolved when they move', async () => {
    const wf = 'stuckflow';
    await workflows.putVersion({
      orgId: ORG,
      workflowId: wf,
      version: 1,
      name: wf,
      definition: {
        id: wf,
        version: 1,
        name: wf,
        steps: [
          { id: 'quick', type: 'transform', timeoutSeconds: 60, params: { expression: '1' } },
          { id: 'long', type: 'transform', timeoutSeconds: 600, params: { expression: '1' } },
        ],
      },
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:none',
      createdAt: at(),
    });
    const stuckTask = `stuck-${RUN}`;
    const longTask = `long-${RUN}`;
    const quick: AttemptStart = {
      step: stepOf(stuckTask, 'quick', wf),
      attempt: 1,
      startedAt: at(-3 * 60_000),
    };
    await tasks.recordRunningAttempt(quick);
    // Three minutes into a ten-minute timeout: not stuck.
    await tasks.recordRunningAttempt({
      step: stepOf(longTask, 'long', wf),
      attempt: 1,
      startedAt: at(-3 * 60_000),
    });
    const pendingTask: Task = {
      taskId: `pending-${RUN}`,
      orgId: ORG,
      workflowId: wf,
      workflowVersion: 1,
      status: 'PENDING',
      input: {},
      executionArn: 'arn:aws:states:us-east-1:000000000000:execution:none:pending',
      createdAt: at(-20 * 60_000),
      updatedAt: at(-20 * 60_000),
    };
    await tasks.create(pendingTask);

    const rule = stuckTaskRule({ openWork, getVersion: (o, w, v) => workflows.getVersion(o, w, v) });
    await evaluate(rule);
    const stuck = await alertOf(taskStuckKey(stuckTask));
    expect(stuck).toMatchObject({
      state: 'OPEN',
      severity: 'WARNING',
      task: stuckTask,
      step: 'quick',
      threshold: 120,
    });
    expect(stuck?.summary).toContain('its 60 s timeout plus 1 min');
    expect(await alertOf(taskStuckKey(longTask))).toBeUndefined();
    expect(await alertOf(taskStuckKey(pendingTask.taskId))).toMatchObject({ state: 'OPEN', threshold: 900 });

    // A shorter threshold for the workflow catches the long step too.
    await setWorkflowRules(wf, { stuck: { afterMinutes: 2 } });
    await evaluate(rule);
    expect(await alertOf(taskStuckKey(longTask))).toMatchObject({ state: 'OPEN', threshold: 120 });

    await tasks.recordFinishedAttempt(
      quick,
      { status: 'SUCCEEDED', endedAt: at(), durationMs: 180_000 },
      true,
    );
    // A PENDING task (of an earlier version) moves only by its end.
    await tasks.settle(
      { taskId: pendingTask.taskId, orgId: ORG },
      { status: 'SUCCEEDED', at: at(), settledAt: at() },
    );
    await evaluate(rule);
    expect((await alertOf(taskStuckKey(stuckTask)))?.state).toBe('RESOLVED');
    expect((await alertOf(taskStuckKey(pendingTask.taskId)))?.state).toBe('RESOLVED');
    expect((await alertOf(taskStuckKey(longTask)))?.state).toBe('OPEN');
    expect(eventsOf(taskStuckKey(stuckTask))).toEqual(['OPENED WARNING', 'RESOLVED WARNING']);
  });

  it('STEP_RETRYING: a step at its third attempt, named with its last error, resolved when it succeeds', async () => {
    const wf = 'flaky';
    const taskId = `retrying-${RUN}`;
    const step = stepOf(taskId, 'fetch', wf, 'http');
    const failAttempt = async (attempt: number) => {
      const start: AttemptStart = { step, attempt, startedAt: at(-10_000) };
      await tasks.recordRunningAttempt(start);
      await tasks.recordFinishedAttempt(
        start,
        {
          status: 'FAILED',
          endedAt: at(-9_000),
          durationMs: 1000,
          error: 'HttpServerError',
          cause: `upstream 503 (attempt ${attempt})`,
        },
        true,
      );
    };
    const rule = retryingStepRule({ openWork });
    await failAttempt(1);
    await failAttempt(2);
    await evaluate(rule); // two attempts: below the default of 3
    const key = stepRetryingKey(taskId, 'fetch');
    expect(await alertOf(key)).toBeUndefined();

    const third: AttemptStart = { step, attempt: 3, startedAt: at(-1_000) };
    await tasks.recordRunningAttempt(third);
    await evaluate(rule);
    const opened = await alertOf(key);
    expect(opened).toMatchObject({
      state: 'OPEN',
      severity: 'WARNING',
      task: taskId,
      step: 'fetch',
      value: 3,
      threshold: 3,
    });
    expect(opened?.summary).toContain('Last error: HttpServerError: upstream 503 (attempt 2)');
    expect(opened?.title).toContain('fetch');

    await tasks.recordFinishedAttempt(third, { status: 'SUCCEEDED', endedAt: at(), durationMs: 1000 }, true);
    await evaluate(rule);
    expect((await alertOf(key))?.state).toBe('RESOLVED');
    expect(eventsOf(key)).toEqual(['OPENED WARNING', 'RESOLVED WARNING']);
  });

  it("TASK_STUCK: one org's pile of open steps past the read cap does not hide another org's stuck step", async () => {
    const refOf = (orgId: string, taskId: string): StepRef => ({
      ...stepOf(taskId, 'call', 'piled'),
      orgId,
      taskRow: { ...stepOf(taskId, 'call', 'piled').taskRow, orgId } as NonNullable<StepRef['taskRow']>,
    });
    // 40 steps of one org stuck for two hours (about 10 per shard), then one of another org for 20 min.
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        tasks.recordRunningAttempt({
          step: refOf(`piling-${RUN}`, `piled-${RUN}-${i}`),
          attempt: 1,
          startedAt: at(-2 * 3_600_000 - i * 1000),
        }),
      ),
    );
    const quietTask = `quiet-task-${RUN}`;
    await tasks.recordRunningAttempt({
      step: refOf(`quiet-${RUN}`, quietTask),
      attempt: 1,
      startedAt: at(-20 * 60_000),
    });

    // Six entries per shard and read: the three oldest and the three newest.
    const capped = new DynamoOpenWork(documents, tableName, 6);
    const read = await capped.openSteps('RUNNING', { before: at(-60_000) });
    expect(read.truncated).toBe(true);
    expect(read.items.map((step) => step.taskId)).toContain(quietTask);
    // Where the two ends meet, the read is whole: the same entries as an uncapped one, oldest first.
    const whole = await openWork.openSteps('RUNNING', { before: at(-60_000) });
    const perShard = new Map<number, number>();
    for (const { taskId } of whole.items)
      perShard.set(listShardOf(taskId), (perShard.get(listShardOf(taskId)) ?? 0) + 1);
    // The fullest shard takes both ends, the newest end reaching back to where the oldest stopped.
    const fullest = Math.max(...perShard.values());
    const met = await new DynamoOpenWork(documents, tableName, fullest + 1).openSteps('RUNNING', {
      before: at(-60_000),
    });
    expect(whole.truncated).toBe(false);
    expect(met).toEqual(whole);

    const rule = stuckTaskRule({ openWork: capped, getVersion: async () => undefined });
    const report = await evaluate(rule);
    expect(report.outcomes.TASK_STUCK).toMatchObject({ truncated: true });
    expect(await alertOf(taskStuckKey(quietTask))).toMatchObject({ state: 'OPEN', org: `quiet-${RUN}` });
  });

  it('TASK_FAILED: one alert per failed task at its workflow severity, once; none when OFF', async () => {
    await setWorkflowRules('payments', { taskFailed: { severity: 'CRITICAL' } });
    await setWorkflowRules('noisy', { taskFailed: { severity: 'OFF' } });
    clock += 60_000;
    const failed = await settle('payments', 'FAILED');
    await documents.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { pk: `TASK#${failed}`, sk: 'TASK' },
        UpdateExpression: 'SET #error = :error, #cause = :cause',
        ExpressionAttributeNames: { '#error': 'error', '#cause': 'cause' },
        ExpressionAttributeValues: { ':error': 'PaymentDeclined', ':cause': 'card expired' },
      }),
    );
    const timedOut = await settle('reports', 'TIMED_OUT');
    const quiet = await settle('noisy', 'FAILED');
    await settle('payments', 'SUCCEEDED');
    passSlot();
    const rule = taskFailedRule({ failedTasks: new DynamoFailedTasks(documents, tableName) });
    await evaluate(rule);
    expect(await alertOf(taskFailedKey(failed))).toMatchObject({
      state: 'OPEN',
      severity: 'CRITICAL',
      workflow: 'payments',
    });
    expect((await alertOf(taskFailedKey(failed)))?.summary).toContain('PaymentDeclined: card expired');
    expect(await alertOf(taskFailedKey(timedOut))).toMatchObject({
      severity: 'INFO',
      title: expect.stringContaining('timed out'),
    });
    expect(await alertOf(taskFailedKey(quiet))).toBeUndefined();

    passSlot();
    await evaluate(rule);
    expect((await alertOf(taskFailedKey(failed)))?.count).toBe(1);
    expect(eventsOf(taskFailedKey(failed))).toEqual(['OPENED CRITICAL']);
  });

  it('DLQ_NOT_EMPTY: warns while a DLQ holds messages and resolves once it is drained; a broken rule stops no other', async () => {
    const queueName = `rules-dlq-${RUN}`;
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: queueName }));
    const queueUrl = QueueUrl as string;
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"parked":true}' }));
    const broken: AlertRule = {
      name: 'BROKEN',
      evaluate: async () => {
        throw new Error('this rule fails');
      },
    };
    const dlq = dlqRule({ queueUrls: [queueUrl], depth: sqsQueueDepth(stepwiseClients(endpoints).sqs) });
    const errors: string[] = [];
    const report = await sweep([broken, dlq], (_error, rule) => errors.push(rule));
    expect(report.failed).toEqual(['BROKEN']);
    expect(errors).toEqual(['BROKEN']);
    const key = dlqKey(queueName);
    const opened = await alertOf(key);
    expect(opened).toMatchObject({ state: 'OPEN', severity: 'WARNING', value: 1, threshold: 0 });
    expect(opened?.org).toBeUndefined();

    await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
    await evaluate(dlq);
    expect((await alertOf(key))?.state).toBe('RESOLVED');
    expect(eventsOf(key)).toEqual(['OPENED WARNING', 'RESOLVED WARNING']);
  });

  it("DLQ_NOT_EMPTY: resolves the alert of a worker type's DLQ the stack no longer has (the type removed)", async () => {
    const prefix = loadWorkerQueueNamePrefix(endpoints.environment) ?? '';
    expect(prefix).toBe('stepwise-worker-');
    const queueName = `${prefix}gone-${RUN}-dlq`;
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: queueName }));
    const queueUrl = QueueUrl as string;
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"parked":true}' }));
    const depth = sqsQueueDepth(stepwiseClients(endpoints).sqs);
    await evaluate(dlqRule({ queueUrls: [queueUrl], depth, workerQueueNamePrefix: prefix }));
    const key = dlqKey(queueName);
    expect((await alertOf(key))?.state).toBe('OPEN');
    // An open alert of a queue that is not a worker type's is left to its own queue's reading.
    const other = dlqKey(`elsewhere-${RUN}-dlq`);
    await alertingFor(0).raise({
      dedupKey: other,
      kind: 'DLQ_NOT_EMPTY',
      severity: 'WARNING',
      title: 'Dead-letter queue elsewhere holds 1 message',
      summary: 'parked',
    });

    // The next deployment has no such type: its DLQ is never read again, and the alert goes with it.
    await evaluate(dlqRule({ queueUrls: [], depth, workerQueueNamePrefix: prefix }));
    expect(await alertOf(key)).toMatchObject({ state: 'RESOLVED' });
    expect(eventsOf(key)).toEqual(['OPENED WARNING', 'RESOLVED WARNING']);
    expect((await alertOf(other))?.state).toBe('OPEN');
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
  });

  it("DLQ_NOT_EMPTY watches, from the sweeper's environment, every DLQ of the stack: the worker types' too", async () => {
    const environment = endpoints.environment;
    const watched = loadDlqUrls(loadWorkerTypes(environment), environment);
    const workerTypes = Object.keys(endpoints.workerQueueUrls);
    expect(workerTypes.length).toBeGreaterThan(0);
    const { QueueUrls = [] } = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'stepwise-' }));
    const deadLetterQueues = QueueUrls.filter((url) => url.endsWith('-dlq'));
    expect(deadLetterQueues.length).toBe(3 + workerTypes.length);
    // fauxqs answers with its own host for the URLs; the names are what must match.
    expect(watched.map(queueNameOf).sort()).toEqual(deadLetterQueues.map(queueNameOf).sort());
    // Each derived URL names a real queue: its depth reads.
    const depth = sqsQueueDepth(stepwiseClients(endpoints).sqs);
    for (const url of watched) expect(await depth(url)).toBeGreaterThanOrEqual(0);
  });
});
