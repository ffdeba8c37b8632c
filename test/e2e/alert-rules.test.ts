// The alert rules end to end over HTTP: a workflow driven to 60 % failures (forced through `simulate` step
// params) raises exactly one CRITICAL ERROR_RATE alert, delivered to the organization's Slack and webhook
// channels (loopback receivers; the webhook's signature verifies), and one RESOLVED once the failures stop
// and successes bring the rate under 20 %; a step running past its stuck threshold and a step that keeps
// retrying each raise one alert naming the task and step, resolved when the step moves on. Each workflow
// gets small thresholds through PUT /admin/alert-rules, so the scenarios take seconds on the embedded stack
// (its sweeper runs every second; a deployment's every minute, hence the longer waits there, and no
// deliveries: the receivers are on this machine).
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AlertMessage, AlertRecord } from '../../functions/shared/alerts/alert';
import { createApiKey, DynamoApiKeyStore } from '../../functions/shared/auth/api-keys';
import { type AlertReceiver, startAlertReceiver } from '../support/alert-receivers';
import { type ApiRequest, apiClient } from '../support/api-request';
import { localClients } from '../support/aws-clients';
import { api, RUN, registerWorkflow, request, waitForTask } from './http-client';

const stack = inject('stack');
const WAIT_MS = stack ? 45_000 : 240_000;

async function startTask(workflowId: string, input: unknown, send: ApiRequest = request): Promise<string> {
  const { status, body } = await send<{ taskId: string }>('POST', '/tasks', { workflowId, input });
  if (status !== 201) throw new Error(`start ${workflowId}: ${status} ${JSON.stringify(body)}`);
  return body.taskId;
}

const TERMINAL = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'];

/** Runs `count` tasks at once and waits for their ends, as the organization of `send`. */
const runAll = (workflowId: string, count: number, input: unknown, send: ApiRequest = request) =>
  Promise.all(
    Array.from({ length: count }, async () => {
      const taskId = await startTask(workflowId, input, send);
      const deadline = Date.now() + WAIT_MS;
      for (;;) {
        const { body } = await send<{ status: string }>('GET', `/tasks/${taskId}`);
        if (TERMINAL.includes(body.status)) return body;
        if (Date.now() > deadline) throw new Error(`task ${taskId} still ${body.status}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }),
  );

/** PUT /admin/alert-rules for a workflow (or, without one, the org). */
async function setRules(workflow: string | undefined, rules: Record<string, unknown>, send = request) {
  const { status, body } = await send('PUT', '/admin/alert-rules', { ...(workflow && { workflow }), rules });
  expect(status, JSON.stringify(body)).toBe(200);
}

/** The alerts of a kind (every state) that `match` selects, newest first. */
async function alerts(
  kind: string,
  match: (alert: AlertRecord) => boolean,
  send: ApiRequest = request,
): Promise<AlertRecord[]> {
  const { status, body } = await send<{ items: AlertRecord[] }>(
    'GET',
    `/admin/alerts?kind=${kind}&limit=100`,
  );
  expect(status, JSON.stringify(body)).toBe(200);
  return body.items.filter(match);
}

/** Polls until `probe` gives a value, at short intervals, up to the suite's wait. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${WAIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

const transform = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: 'transform',
  params: { expression: '$', 'data.$': '$.input', 'simulate.$': '$.input.simulate' },
  ...extra,
});

// The three scenarios use workflows of their own: they run at once.
describe.concurrent('alert rules end to end', () => {
  // The error-rate scenario runs in an organization of its own on the embedded stack, so its channels
  // receive only its alerts; against a deployment it uses the suite's key and checks no deliveries.
  const org = `alert-rules-${RUN}`;
  const SLACK_PATH = '/rules-slack/services/T1/B1/secret';
  const HOOK_PATH = '/rules-hook';
  const signingSecret = `whsec_${randomBytes(32).toString('base64')}`;
  let receiver: AlertReceiver | undefined;
  let orgRequest: ApiRequest = request;

  beforeAll(async () => {
    if (!stack) return;
    receiver = await startAlertReceiver();
    const clients = localClients(stack);
    const owner = await createApiKey(new DynamoApiKeyStore(clients.documents, stack.tableName), {
      orgId: org,
      role: 'OWNER',
      name: 'alert rules e2e',
    });
    clients.dynamodb.destroy();
    orgRequest = apiClient(api.url, owner.plaintext);
  });
  afterAll(async () => {
    await receiver?.close();
  });

  it(
    'raises one CRITICAL ERROR_RATE alert at 60 % failures, delivered to Slack and a webhook, and one RESOLVED once the failures stop',
    async ({ expect }) => {
      const send = orgRequest;
      const workflowId = `alert_rate_${RUN}`;
      const registered = await send('POST', '/workflows', {
        id: workflowId,
        version: 1,
        name: 'error rate alert',
        steps: [transform('work', { retry: { maxAttempts: 0 } })],
      });
      expect(registered.status, JSON.stringify(registered.body)).toBeLessThan(300);
      // Five tasks suffice, over two minutes; a failed task alerts nothing of its own here.
      await setRules(
        workflowId,
        { errorRate: { minTasks: 5, windowMinutes: 2 }, taskFailed: { severity: 'OFF' } },
        send,
      );
      if (receiver) {
        // The org's own rate (the same tasks) stays out of the way of the workflow's.
        await setRules(undefined, { errorRate: { minTasks: 1000 } }, send);
        const channels = await send('PUT', '/admin/alert-channels', {
          channels: [
            { id: 'rules-slack', type: 'slack', webhookUrl: receiver.url(SLACK_PATH), kinds: ['ERROR_RATE'] },
            {
              id: 'rules-hook',
              type: 'webhook',
              url: receiver.url(HOOK_PATH),
              signingSecrets: [signingSecret],
              kinds: ['ERROR_RATE'],
            },
          ],
        });
        expect(channels.status, JSON.stringify(channels.body)).toBe(200);
      }
      const ofWorkflow = (alert: AlertRecord) => alert.workflow === workflowId;

      // 3 of 5 tasks fail, the failures first: below minTasks nothing fires, so the first rate the rule
      // judges is the 60 %.
      const failed = await runAll(workflowId, 3, { simulate: { fail: true } }, send);
      expect(failed.map((task) => task.status)).toEqual(Array(3).fill('FAILED'));
      await runAll(workflowId, 2, { simulate: {} }, send);
      const critical = await eventually('the CRITICAL alert at 60 %', async () => {
        const [alert] = await alerts('ERROR_RATE', ofWorkflow, send);
        return alert?.state === 'OPEN' && alert.value === 0.6 ? alert : undefined;
      });
      expect(critical).toMatchObject({ severity: 'CRITICAL', threshold: 0.5, workflow: workflowId });
      expect(critical.dedupKey).toBe(`ERROR_RATE#WF#${critical.org}#${workflowId}`);
      expect(critical.summary).toContain('3 of 5 tasks');

      // The failures stop: 11 successes bring it to 3 of 16 (19 %), under the WARNING threshold.
      await runAll(workflowId, 11, { simulate: {} }, send);
      const resolved = await eventually('the RESOLVED alert', async () => {
        const [alert] = await alerts('ERROR_RATE', ofWorkflow, send);
        return alert?.state === 'RESOLVED' ? alert : undefined;
      });
      expect(resolved.id).toBe(critical.id);
      expect(await alerts('ERROR_RATE', ofWorkflow, send)).toHaveLength(1);

      if (!receiver) return;
      const hooks = receiver;
      const poll = { timeout: WAIT_MS, interval: 200 };
      // The webhook: OPENED (CRITICAL) then RESOLVED, each verified with the channel's signing secret.
      const hookMessages = () =>
        hooks
          .received(HOOK_PATH)
          .map(
            (delivery) =>
              new Webhook(signingSecret).verify(
                delivery.body,
                delivery.headers as Record<string, string>,
              ) as AlertMessage,
          )
          .filter((message) => message.alert.id === critical.id);
      await expect
        .poll(() => hookMessages().map((message) => message.event), poll)
        .toEqual(['OPENED', 'RESOLVED']);
      expect(hookMessages().map((message) => message.alert.severity)).toEqual(['CRITICAL', 'CRITICAL']);
      expect(hookMessages()[1]?.alert.state).toBe('RESOLVED');
      // Slack: the same two, the all-clear marked RESOLVED.
      const slackTexts = () =>
        hooks
          .received(SLACK_PATH)
          .filter((delivery) => delivery.body.includes(critical.id))
          .map((delivery) => (JSON.parse(delivery.body) as { text: string }).text);
      await expect
        .poll(slackTexts, poll)
        .toEqual([`CRITICAL: ${critical.title}`, expect.stringMatching(/^RESOLVED: Error rate/)]);
    },
    WAIT_MS * 3,
  );

  it(
    'raises one TASK_STUCK alert for a step running past its threshold, resolved when the step ends',
    async () => {
      const workflowId = await registerWorkflow({
        id: 'alert_stuck',
        version: 1,
        name: 'stuck alert',
        steps: [transform('slow', { timeoutSeconds: 60 })],
      });
      await setRules(workflowId, { stuck: { afterMinutes: 0.05 } }); // 3 s
      const taskId = await startTask(workflowId, { simulate: { sleepSeconds: 7 } });
      const ofTask = (alert: AlertRecord) => alert.task === taskId;
      const stuck = await eventually(
        'the TASK_STUCK alert',
        async () => (await alerts('TASK_STUCK', ofTask))[0],
      );
      expect(stuck).toMatchObject({ state: 'OPEN', severity: 'WARNING', step: 'slow', workflow: workflowId });
      expect(stuck.title).toContain(taskId);
      expect(stuck.title).toContain('slow');
      expect((await waitForTask(taskId, WAIT_MS)).status).toBe('SUCCEEDED');
      const resolved = await eventually('the resolve', async () => {
        const [alert] = await alerts('TASK_STUCK', ofTask);
        return alert?.state === 'RESOLVED' ? alert : undefined;
      });
      expect(resolved.id).toBe(stuck.id);
      expect(await alerts('TASK_STUCK', ofTask)).toHaveLength(1);
    },
    WAIT_MS * 2,
  );

  it(
    'raises one STEP_RETRYING alert naming the step and its last error, resolved when the step succeeds',
    async () => {
      const workflowId = await registerWorkflow({
        id: 'alert_retrying',
        version: 1,
        name: 'retrying alert',
        steps: [
          transform('flaky', {
            retry: { maxAttempts: 4, intervalSeconds: 2, backoffRate: 1, jitter: 'NONE' },
          }),
        ],
      });
      const taskId = await startTask(workflowId, {
        simulate: { failUntilAttempt: 5, error: 'UpstreamUnavailable' },
      });
      const ofTask = (alert: AlertRecord) => alert.task === taskId;
      const retrying = await eventually(
        'the STEP_RETRYING alert',
        async () => (await alerts('STEP_RETRYING', ofTask))[0],
      );
      expect(retrying).toMatchObject({ state: 'OPEN', severity: 'WARNING', step: 'flaky', threshold: 3 });
      expect(retrying.value).toBeGreaterThanOrEqual(3);
      expect(retrying.summary).toContain('Last error: UpstreamUnavailable');
      expect(retrying.title).toContain('flaky');
      expect((await waitForTask(taskId, WAIT_MS)).status).toBe('SUCCEEDED');
      const resolved = await eventually('the resolve', async () => {
        const [alert] = await alerts('STEP_RETRYING', ofTask);
        return alert?.state === 'RESOLVED' ? alert : undefined;
      });
      expect(resolved.id).toBe(retrying.id);
      expect(await alerts('STEP_RETRYING', ofTask)).toHaveLength(1);
    },
    WAIT_MS * 2,
  );
});
