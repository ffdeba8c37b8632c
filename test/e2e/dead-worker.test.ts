// A worker process that goes silent while it holds a step (SIGSTOP: alive, but never heard of again): the
// sweeper (every second here, DEAD after 4 s) marks it DEAD, fails its token with Worker.Lost so Step
// Functions retries the step at once (long before the step's HeartbeatSeconds) on another worker process,
// records the lost attempt, and publishes a CRITICAL alert that reaches a queue subscribed to the critical
// topic. Needs the embedded stack's queues and topics: skipped against a deployment.
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { localClients } from '../support/aws-clients';
import { subscribedQueue } from '../support/subscribed-queue';
import { registerWorkflow, request, waitForTask } from './http-client';
import { startWorker, stopAllWorkers } from './workers/worker-process';

const stack = inject('stack');
const TYPE = 'sweeper-e2e';
/** Far beyond the few seconds recovery takes here: a retry before it came from Worker.Lost. */
const HEARTBEAT_SECONDS = 60;

interface TaskAttempt {
  stepId: string;
  attempt: number;
  status: string;
  error?: string;
  cause?: string;
  worker?: string;
}

interface WorkerView {
  workerId: string;
  status: string;
  inFlight: { taskId: string; tokenId: string }[];
}

interface Notification {
  Subject: string;
  Message: string;
  MessageAttributes: Record<string, { Value: string }>;
}

const SCRIPTED = 'test/e2e/workers/scripted-worker.ts';

// SIGKILL ends a stopped process too.
afterEach(stopAllWorkers);

describe.skipIf(!stack)('a silent worker', () => {
  it('becomes DEAD, its step fails fast with Worker.Lost and succeeds on another worker, and the alert reaches the critical topic', async () => {
    const endpoints = stack as NonNullable<typeof stack>;
    const { sqs, sns } = localClients(endpoints);
    const alerts = await subscribedQueue(
      { sqs, sns },
      endpoints.topicArns.critical ?? '',
      'dead-worker-alerts',
    );
    const workflowId = await registerWorkflow({
      id: 'dead_worker',
      version: 1,
      name: 'dead worker',
      steps: [
        {
          id: 'research',
          type: 'agent',
          workerType: TYPE,
          heartbeatSeconds: HEARTBEAT_SECONDS,
          timeoutSeconds: 300,
          params: { 'script.$': '$.input' },
        },
      ],
    });

    // Each attempt works 3 s (heartbeating every second); the first worker freezes as soon as it holds it.
    const frozen = startWorker(SCRIPTED, { type: TYPE });
    const frozenId = await frozen.workerId();
    const started = await request<{ taskId: string; orgId: string }>('POST', '/tasks', {
      workflowId,
      input: { workMs: 3_000 },
    });
    expect(started.status).toBe(201);
    const { taskId } = started.body;
    await frozen.waitFor(new RegExp(`\\[handler\\] started ${taskId}`), 30_000);
    // The second worker starts now (the step's only message is taken), to be polling when the retry comes.
    const rescuer = startWorker(SCRIPTED, { type: TYPE });
    // Frozen once its worker item lists the step in flight (the route shows it by tokenId only).
    await expect
      .poll(
        async () => {
          const { body } = await request<{ items: WorkerView[] }>('GET', `/admin/workers?type=${TYPE}`);
          const item = body.items.find((worker) => worker.workerId === frozenId);
          return item?.inFlight.map((step) => step.taskId);
        },
        { timeout: 10_000, interval: 100 },
      )
      .toEqual([taskId]);
    process.kill(frozen.pid, 'SIGSTOP');
    const silentSince = Date.now();

    const rescuerId = await rescuer.workerId();
    await rescuer.waitFor(new RegExp(`\\[handler\\] finished ${taskId}`), 40_000);
    // Retried on Worker.Lost, well before the step's HeartbeatSeconds would have noticed.
    expect(Date.now() - silentSince).toBeLessThan(HEARTBEAT_SECONDS * 1000);

    const task = await waitForTask(taskId, 30_000);
    expect(task.status).toBe('SUCCEEDED');
    const attempts = (task.attempts as unknown as TaskAttempt[]).filter(
      (attempt) => attempt.stepId === 'research',
    );
    expect(attempts).toEqual([
      expect.objectContaining({ attempt: 1, status: 'ABORTED', error: 'Worker.Lost', worker: frozenId }),
      expect.objectContaining({ attempt: 2, status: 'SUCCEEDED', worker: rescuerId }),
    ]);
    expect(attempts[0]?.cause).toMatch(new RegExp(`worker ${frozenId}: no heartbeat for \\d+ s`));

    const dead = await request('GET', `/admin/workers/dead?type=${TYPE}`);
    expect(dead.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ workerId: frozenId, status: 'DEAD', deadAt: expect.any(String) }),
      ]),
    );
    const live = await request('GET', `/admin/workers?type=${TYPE}&status=IDLE`);
    expect(live.body.items).toEqual(
      expect.arrayContaining([expect.objectContaining({ workerId: rescuerId })]),
    );

    const alert = await alertFor(sqs, alerts, frozenId);
    expect(alert.Subject).toBe(`[CRITICAL] Worker ${frozenId} (${TYPE}) is dead`);
    expect(alert.MessageAttributes).toMatchObject({
      severity: { Value: 'CRITICAL' },
      kind: { Value: 'WORKER_DEAD' },
      org: { Value: started.body.orgId },
    });
    expect(JSON.parse(alert.Message)).toMatchObject({
      type: 'stepwise.alert',
      event: 'OPENED',
      alert: {
        dedupKey: `WORKER_DEAD#${frozenId}`,
        severity: 'CRITICAL',
        kind: 'WORKER_DEAD',
        state: 'OPEN',
        org: started.body.orgId,
        worker: frozenId,
        summary: expect.stringContaining('Its 1 in-flight step was failed as Worker.Lost'),
      },
    });
    expect(alert.Message).not.toMatch(/taskToken/);
  });
});

/** The alert naming `workerId` among the notifications the subscribed queue received. */
async function alertFor(
  sqs: ReturnType<typeof localClients>['sqs'],
  queueUrl: string,
  workerId: string,
): Promise<Notification> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    const found = Messages.map((message) => JSON.parse(message.Body ?? '{}') as Notification).find((n) =>
      n.Subject?.includes(workerId),
    );
    if (found) return found;
  }
  throw new Error(`no alert for ${workerId}`);
}
