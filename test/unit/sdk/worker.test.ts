import { setTimeout as delay } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { tokenIdOf } from '../../../functions/shared/workers/agent-attempts';
import type { WorkerSettings } from '../../../sdk/config';
import {
  type AgentHandler,
  StepAbortedError,
  type WorkerEvent,
  WorkerRuntime,
  WorkerShutdownError,
} from '../../../sdk/worker';
import { agentMessage, connectionRefused, fakePorts, newToken } from './fakes';

const settings = (extra: Partial<WorkerSettings> = {}): WorkerSettings => ({
  type: 'research',
  concurrency: 1,
  heartbeatIntervalSeconds: 0.05,
  gracePeriodSeconds: 1,
  pollWaitSeconds: 1,
  tableName: 'stepwise',
  queueUrl: 'https://sqs/research',
  reportsFunction: 'agent-reports',
  ...extra,
});

const running: WorkerRuntime[] = [];

function startWorker(handler: AgentHandler, extra: Partial<WorkerSettings> = {}) {
  const fakes = fakePorts();
  const events: WorkerEvent[] = [];
  const worker = new WorkerRuntime(settings(extra), handler, fakes.ports, (event) => events.push(event));
  running.push(worker);
  const done = worker.start();
  return { ...fakes, events, worker, done };
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((worker) => worker.stopNow('test over')));
});

const until = (check: () => boolean, timeout = 2_000) =>
  expect.poll(check, { timeout, interval: 5 }).toBe(true);

/** A handler that runs until `finish()` is called, then returns `output`. */
function heldHandler(output: unknown = { done: true }) {
  let release: () => void = () => undefined;
  const handler: AgentHandler = () =>
    new Promise((resolve) => {
      release = () => resolve(output);
    });
  return { handler, finish: () => release() };
}

describe('worker runtime', () => {
  it('checks the token, reports claimed, deletes the message, runs the handler, reports finished, then answers success', async () => {
    const seen: unknown[] = [];
    const { queue, journal, answers, reports, worker } = startWorker(async (step) => {
      seen.push({ input: step.input, attempt: step.attempt, task: step.task.id, step: step.step });
      return { summary: `researched ${(step.input as { company: string }).company}` };
    });
    const token = newToken();
    queue.push(agentMessage(token));
    await until(() => answers.answers.length === 1);
    expect(journal.filter((line) => !line.startsWith('heartbeat') || line.endsWith(token))).toEqual([
      `heartbeat ${token}`,
      `claimed ${token}`,
      'delete rh-1',
      `heartbeat ${token}`,
      `finished ${token} SUCCEEDED`,
      `succeed ${token}`,
    ]);
    expect(seen).toEqual([
      { input: { company: 'Acme' }, attempt: 1, task: `task-${token}`, step: { id: 'research' } },
    ]);
    expect(JSON.parse(answers.answers[0]?.output ?? '')).toEqual({ summary: 'researched Acme' });
    expect(reports.claims[0]).toMatchObject({
      workerType: 'research',
      task: { id: `task-${token}`, orgId: 'org-a' },
    });
    expect(reports.finishes[0]).toMatchObject({
      status: 'SUCCEEDED',
      outputSummary: '{"summary":"researched Acme"}',
    });
    await until(() => worker.status().processed === 1 && worker.status().inFlight === 0);
  });

  it("fails the step with the thrown error's name and message, clipped to Step Functions' limits", async () => {
    class RateLimited extends Error {
      override name = 'Research.RateLimited';
    }
    const { queue, answers, reports, worker } = startWorker(async () => {
      throw new RateLimited('x'.repeat(40_000));
    });
    queue.push(agentMessage(newToken()));
    await until(() => answers.answers.length === 1);
    const [answer] = answers.answers;
    expect(answer).toMatchObject({ ok: false, error: 'Research.RateLimited' });
    expect(answer?.cause?.length).toBe(32_768);
    expect(reports.finishes[0]).toMatchObject({ status: 'FAILED', error: 'Research.RateLimited' });
    await until(() => worker.status().failed === 1);
  });

  it("counts each organization's steps apart in its item, which the worker routes show that organization", async () => {
    const { queue, answers, store } = startWorker(async (step) => {
      if (step.task.orgId === 'org-b') throw new Error('no such company');
      return 'done';
    });
    const task = (orgId: string, token: string) => ({
      task: { id: `task-${token}`, orgId, workflowId: 'wf', workflowVersion: 1 },
    });
    for (const orgId of ['org-a', 'org-a', 'org-b']) {
      const token = newToken();
      queue.push(agentMessage(token, task(orgId, token)));
    }
    await until(() => answers.answers.length === 3);
    await until(() => store.writes.at(-1)?.processed === 2 && store.writes.at(-1)?.failed === 1);
    const { byOrg, busyMs } = store.writes.at(-1) ?? {};
    expect(byOrg).toEqual({
      'org-a': { processed: 2, failed: 0, busyMs: expect.any(Number) },
      'org-b': { processed: 0, failed: 1, busyMs: expect.any(Number) },
    });
    expect((byOrg?.['org-a']?.busyMs ?? 0) + (byOrg?.['org-b']?.busyMs ?? 0)).toBe(busyMs);
  });

  it('keeps the message until its claim is recorded, so a worker dying before leaves it to reappear', async () => {
    let release = () => {};
    const { queue, journal, reports, answers } = startWorker(async () => 'done');
    reports.hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    const token = newToken();
    queue.push(agentMessage(token));
    await until(() => reports.claims.length === 1);
    await delay(50);
    expect(journal).not.toContain('delete rh-1');
    release();
    await until(() => answers.answers.length === 1);
    expect(journal.indexOf('delete rh-1')).toBeGreaterThan(journal.indexOf(`claimed ${token}`));
  });

  it('drops a copy of a step it is still claiming (its claim outlasted the claim window): the handler runs once', async () => {
    let release = () => {};
    let runs = 0;
    const { queue, journal, reports, answers, events } = startWorker(
      async () => {
        runs += 1;
        return 'done';
      },
      { concurrency: 2 },
    );
    reports.hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    const token = newToken();
    queue.push(agentMessage(token));
    await until(() => reports.claims.length === 1);
    queue.push(agentMessage(token));
    await until(() => events.some((event) => event.kind === 'skipped'));
    expect(journal).toContain('delete rh-2');
    release();
    await until(() => answers.answers.length === 1);
    await delay(50);
    expect(runs).toBe(1);
    expect(reports.claims).toHaveLength(1);
  });

  it('drops (deletes) a message whose claim is stale (task settled, or another worker claimed it) without running it or answering', async () => {
    let ran = false;
    const { queue, journal, answers, reports, events } = startWorker(async () => {
      ran = true;
    });
    const token = newToken();
    reports.stale.add(token);
    queue.push(agentMessage(token));
    await until(() => events.some((event) => event.kind === 'skipped'));
    await until(() => journal.includes('delete rh-1'));
    expect(ran).toBe(false);
    expect(answers.answers).toEqual([]);
    expect(reports.finishes).toEqual([]);
  });

  it('records no attempt for a message whose token Step Functions already closed (redelivered after a crash), and deletes it', async () => {
    const { queue, journal, answers, reports, events } = startWorker(async () => 'never');
    const token = newToken();
    answers.gone.add(token);
    queue.push(agentMessage(token));
    await until(() => events.some((event) => event.kind === 'skipped'));
    await until(() => journal.includes('delete rh-1'));
    expect(reports.claims).toEqual([]);
    expect(answers.answers).toEqual([]);
  });

  it('heartbeats every in-flight token and keeps the tokens on the worker item while the step runs', async () => {
    let finish: () => void = () => undefined;
    const { queue, answers, store, worker } = startWorker(
      () => new Promise<string>((resolve) => (finish = () => resolve('done'))),
    );
    const token = newToken();
    queue.push(agentMessage(token));
    await until(() => (answers.heartbeats.get(token) ?? 0) >= 4);
    const item = store.items.get(worker.status().workerId ?? '');
    expect(item).toMatchObject({ status: 'BUSY', type: 'research', host: 'box.example.com', pid: 4242 });
    expect(item?.inFlight).toEqual([
      expect.objectContaining({
        taskToken: token,
        tokenId: tokenIdOf(token),
        taskId: `task-${token}`,
        stepId: 'research',
      }),
    ]);
    finish();
    await until(() => store.items.get(worker.status().workerId ?? '')?.status === 'IDLE');
    expect(store.items.get(worker.status().workerId ?? '')?.inFlight).toEqual([]);
  });

  it("aborts the handler's signal when a heartbeat finds the step gone (task cancelled), and answers nothing", async () => {
    let reason: unknown;
    const { queue, answers, reports, worker } = startWorker(
      (step) =>
        new Promise((_, reject) => {
          step.signal.addEventListener('abort', () => {
            reason = step.signal.reason;
            reject(step.signal.reason);
          });
        }),
    );
    const token = newToken();
    queue.push(agentMessage(token));
    await until(() => worker.status().inFlight === 1);
    answers.gone.add(token);
    await until(() => reason !== undefined);
    expect(reason).toBeInstanceOf(StepAbortedError);
    await delay(30);
    expect(answers.answers).toEqual([]);
    expect(reports.finishes).toEqual([]);
    expect(worker.status()).toMatchObject({ inFlight: 0, processed: 0, failed: 0 });
  });

  it('reports and answers nothing for a step whose token closed while its handler ran unseen (a frozen worker)', async () => {
    const { handler, finish } = heldHandler({ late: true });
    // No heartbeat comes in between: as for a process stopped (SIGSTOP) past HeartbeatSeconds, then resumed.
    const { queue, answers, reports, events, worker } = startWorker(handler, {
      heartbeatIntervalSeconds: 60,
    });
    const token = newToken();
    queue.push(agentMessage(token));
    await until(() => worker.status().inFlight === 1);
    answers.gone.add(token);
    finish();
    await until(() => worker.status().inFlight === 0);
    await delay(30);
    expect(reports.finishes).toEqual([]);
    expect(answers.answers).toEqual([]);
    expect(events).toContainEqual(
      expect.objectContaining({
        kind: 'aborted',
        reason: 'Step Functions no longer waited on the step when it finished',
      }),
    );
    expect(worker.status()).toMatchObject({ processed: 0, failed: 0 });
  });

  it("sends a step's report and answer again while the stack does not answer, a heartbeat ahead of each try: answered once, run once", async () => {
    let runs = 0;
    const { handler, finish } = heldHandler();
    const { queue, journal, answers, reports, worker } = startWorker((step) => {
      runs += 1;
      return handler(step);
    });
    const token = newToken();
    queue.push(agentMessage(token));
    await until(() => worker.status().inFlight === 1);
    // The stack goes down as the handler ends; its first try and those after fail.
    answers.failure = connectionRefused;
    reports.failure = connectionRefused;
    finish();
    await until(() => journal.filter((line) => line === `heartbeat ${token} refused`).length >= 3);
    // A slot freed: the step is no longer in flight, though its answer is still on its way.
    expect(worker.status().inFlight).toBe(0);
    // Back with the report recorder down still: the heartbeat goes, the report does not, both are tried again.
    answers.failure = undefined;
    await until(() => journal.includes(`finished ${token} refused`));
    reports.failure = undefined;
    await until(() => answers.answers.length === 1);
    const after = journal.slice(journal.lastIndexOf(`finished ${token} refused`) + 1);
    expect(after.filter((line) => line.endsWith(token) || line.includes(`${token} `))).toEqual([
      `heartbeat ${token}`,
      `finished ${token} SUCCEEDED`,
      `succeed ${token}`,
    ]);
    expect(reports.finishes).toHaveLength(1);
    expect(runs).toBe(1);
    await until(() => worker.status().processed === 1);
  });

  it('answers Step Functions without the report after a few tries while only the recorder does not answer', async () => {
    const { queue, journal, answers, reports, events } = startWorker(async () => ({ done: true }));
    reports.failure = connectionRefused;
    const token = newToken();
    queue.push(agentMessage(token));
    await until(() => answers.answers.length === 1);
    expect(journal.filter((line) => line === `finished ${token} refused`)).toHaveLength(5);
    expect(reports.finishes).toEqual([]);
    expect(events).toContainEqual(
      expect.objectContaining({
        kind: 'error',
        message: `Could not report the end of task task-${token}'s step`,
      }),
    );
  });

  it('says an answer whose reply was lost may have reached Step Functions, when the token is closed at the next try', async () => {
    const { queue, answers, events } = startWorker(async () => ({ done: true }));
    const succeed = answers.succeed.bind(answers);
    answers.succeed = async (token, output) => {
      await succeed(token, output);
      throw connectionRefused();
    };
    const token = newToken();
    queue.push(agentMessage(token));
    await until(() => events.some((event) => event.kind === 'aborted'));
    expect(answers.answers).toHaveLength(1);
    expect(events).toContainEqual(
      expect.objectContaining({
        kind: 'aborted',
        reason:
          'Step Functions waits on the step no more: the answer sent before the connection failed may have reached it',
      }),
    );
  });

  it('stops sending the answer again once the token has closed (Step Functions gave up on the attempt)', async () => {
    const { handler, finish } = heldHandler();
    const { queue, journal, answers, reports, events, worker } = startWorker(handler);
    const token = newToken();
    queue.push(agentMessage(token));
    await until(() => worker.status().inFlight === 1);
    answers.failure = connectionRefused;
    finish();
    await until(() => journal.includes(`heartbeat ${token} refused`));
    answers.gone.add(token);
    answers.failure = undefined;
    await until(() => events.some((event) => event.kind === 'aborted'));
    expect(reports.finishes).toEqual([]);
    expect(answers.answers).toEqual([]);
    expect(worker.status()).toMatchObject({ processed: 0, failed: 0 });
  });

  it('does not send again an answer the service refused', async () => {
    const { queue, answers, events } = startWorker(async () => ({ done: true }));
    let tries = 0;
    answers.succeed = async () => {
      tries += 1;
      throw Object.assign(new Error('Invalid output'), {
        name: 'ValidationException',
        $metadata: { httpStatusCode: 400 },
      });
    };
    const token = newToken();
    queue.push(agentMessage(token));
    await until(() => tries === 1);
    await delay(100);
    expect(tries).toBe(1);
    expect(events).toContainEqual(
      expect.objectContaining({
        kind: 'error',
        message: `Could not answer Step Functions for task task-${token}`,
      }),
    );
  });

  it("sends nothing more once the stop's grace period is over", async () => {
    const { handler, finish } = heldHandler();
    const { queue, journal, answers, worker } = startWorker(handler, { gracePeriodSeconds: 0.3 });
    const token = newToken();
    queue.push(agentMessage(token));
    await until(() => worker.status().inFlight === 1);
    answers.failure = connectionRefused;
    finish();
    await until(() => journal.includes(`heartbeat ${token} refused`));
    await worker.stop('test');
    const length = journal.length;
    await delay(300);
    expect(journal.slice(length).filter((line) => line.includes(token))).toEqual([]);
    expect(answers.answers).toEqual([]);
  });

  it('runs at most `concurrency` steps at once and reads BUSY when full', async () => {
    let active = 0;
    let most = 0;
    const { queue, answers, worker } = startWorker(
      async () => {
        active += 1;
        most = Math.max(most, active);
        await delay(30);
        active -= 1;
        return 'ok';
      },
      { concurrency: 2 },
    );
    for (let i = 0; i < 6; i += 1) queue.push(agentMessage(newToken()));
    await until(() => worker.status().status === 'BUSY');
    await until(() => answers.answers.length === 6);
    expect(most).toBe(2);
  });

  it('lets in-flight work finish within the grace period on stop, then reads STOPPED', async () => {
    const { queue, answers, store, worker, done, events } = startWorker(async () => {
      await delay(100);
      return 'finished in time';
    });
    queue.push(agentMessage(newToken()));
    await until(() => worker.status().inFlight === 1);
    await worker.stop('SIGTERM received');
    await done;
    expect(answers.answers).toEqual([expect.objectContaining({ ok: true, output: '"finished in time"' })]);
    expect(store.items.get(worker.status().workerId ?? '')).toMatchObject({
      status: 'STOPPED',
      inFlight: [],
    });
    expect(events.at(-1)).toEqual({ kind: 'stopped', shutdownFailed: 0, recorded: true });
  });

  it('says its stop was not recorded when the STOPPED write fails (the table is unreachable)', async () => {
    const { store, worker, done, events } = startWorker(async () => 'unused');
    await until(() => worker.status().workerId !== undefined && store.writes.length > 0);
    store.save = async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:8000');
    };
    await worker.stop('SIGTERM received');
    await done;
    expect(store.items.get(worker.status().workerId ?? '')?.status).not.toBe('STOPPED');
    expect(events).toContainEqual(
      expect.objectContaining({ kind: 'error', message: 'Could not write the worker item' }),
    );
    expect(events.at(-1)).toEqual({ kind: 'stopped', shutdownFailed: 0, recorded: false });
  });

  it('fails what is still running after the grace period as Worker.Shutdown and aborts its signal', async () => {
    let reason: unknown;
    const { queue, answers, reports, store, worker, done } = startWorker(
      (step) =>
        new Promise(() => {
          step.signal.addEventListener('abort', () => {
            reason = step.signal.reason;
          });
        }),
      { gracePeriodSeconds: 0.1 },
    );
    queue.push(agentMessage(newToken()));
    await until(() => worker.status().inFlight === 1);
    const started = Date.now();
    await worker.stop('SIGTERM received');
    await done;
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(reason).toBeInstanceOf(WorkerShutdownError);
    expect(answers.answers).toEqual([expect.objectContaining({ ok: false, error: 'Worker.Shutdown' })]);
    expect(answers.answers[0]?.cause).toContain('SIGTERM received');
    expect(reports.finishes[0]).toMatchObject({ status: 'FAILED', error: 'Worker.Shutdown' });
    expect(store.items.get(worker.status().workerId ?? '')).toMatchObject({
      status: 'STOPPED',
      inFlight: [],
      failed: 1,
    });
  });

  it('declines a message received while stopping: claimed and failed as Worker.Shutdown so it runs elsewhere now', async () => {
    let ran = 0;
    const { queue, answers, worker, done } = startWorker(
      async () => {
        ran += 1;
        await delay(50);
      },
      { concurrency: 2 },
    );
    queue.pollMs = 1_000;
    queue.push(agentMessage(newToken()));
    await until(() => worker.status().inFlight === 1);
    // The poller waits in its next receive (a slot is free) when the stop begins.
    const stopped = worker.stop('SIGTERM received');
    await until(() => worker.status().state === 'stopping');
    queue.push(agentMessage(newToken()));
    await stopped;
    await done;
    expect(ran).toBe(1);
    expect(answers.answers.map((answer) => answer.error ?? 'success').sort()).toEqual([
      'Worker.Shutdown',
      'success',
    ]);
  });

  it("writes each claim and step end with its last heartbeat's time: the item's time tells no organization of another's steps", async () => {
    const fakes = fakePorts();
    let readings = 0;
    // Every reading of the clock is a second later, so a write stamped with its own time would show.
    const ports = { ...fakes.ports, now: () => new Date(Date.UTC(2026, 0, 1, 0, 0, ++readings)) };
    const worker = new WorkerRuntime(settings({ heartbeatIntervalSeconds: 600 }), async () => 'done', ports);
    running.push(worker);
    void worker.start();
    for (const orgId of ['org-a', 'org-b']) {
      const token = newToken();
      fakes.queue.push(
        agentMessage(token, { task: { id: `task-${token}`, orgId, workflowId: 'wf', workflowVersion: 1 } }),
      );
    }
    await until(() => fakes.store.writes.at(-1)?.processed === 2);
    const [registration, ...writes] = fakes.store.writes;
    // Two claims (ACTIVE) and two ends (IDLE), at least: each a write of its own.
    expect(writes.length).toBeGreaterThanOrEqual(4);
    expect(new Set(writes.map((item) => item.lastHeartbeatAt))).toEqual(
      new Set([registration?.lastHeartbeatAt]),
    );
    // What does change at each write is its revision, which the sweeper's DEAD marking is conditional on:
    // a claim after the sweeper's read makes the marking read the item again.
    expect(fakes.store.writes.map((item) => item.revision)).toEqual(
      fakes.store.writes.map((_, index) => index + 1),
    );
  });

  it("moves the item's heartbeat time at each heartbeat, to when the heartbeat began (not after its steps' calls)", async () => {
    const fakes = fakePorts();
    const savedAt: { at: string; savedMs: number }[] = [];
    const save = fakes.store.save.bind(fakes.store);
    fakes.store.save = async (item) => {
      savedAt.push({ at: item.lastHeartbeatAt, savedMs: Date.now() });
      return save(item);
    };
    const heartbeat = fakes.answers.heartbeat.bind(fakes.answers);
    // The step's SendTaskHeartbeat takes 40 ms (its first, the claim's check, answers at once).
    fakes.answers.heartbeat = async (token) => {
      if ((fakes.answers.heartbeats.get(token) ?? 0) > 0) await delay(40);
      return heartbeat(token);
    };
    const worker = new WorkerRuntime(
      settings({ heartbeatIntervalSeconds: 0.1, gracePeriodSeconds: 0 }),
      () => new Promise(() => {}),
      fakes.ports,
    );
    running.push(worker);
    void worker.start();
    fakes.queue.push(agentMessage(newToken()));
    await until(() => new Set(savedAt.map((write) => write.at)).size >= 3);
    // The first write with each new time is its heartbeat's, made once the step's call has answered.
    const firstSaved = new Map<string, number>();
    for (const { at, savedMs } of savedAt) if (!firstSaved.has(at)) firstSaved.set(at, savedMs);
    const [registration, ...beats] = firstSaved.entries();
    expect(beats.length).toBeGreaterThanOrEqual(2);
    for (const [at, savedMs] of beats) {
      expect(Date.parse(at)).toBeGreaterThan(Date.parse(registration?.[0] ?? ''));
      expect(savedMs - Date.parse(at)).toBeGreaterThanOrEqual(35);
    }
  });

  it('stops at once while its registration hangs (the table unreachable), and start() resolves', async () => {
    const fakes = fakePorts();
    fakes.store.registerHold = new Promise(() => undefined);
    const events: WorkerEvent[] = [];
    const worker = new WorkerRuntime(
      settings(),
      async () => ({}),
      fakes.ports,
      (event) => events.push(event),
    );
    fakes.queue.push(agentMessage(newToken()));
    const done = worker.start();
    await delay(20);
    expect(worker.status().state).toBe('starting');
    const stopped = await Promise.race([worker.stop('SIGTERM').then(() => 'stopped'), delay(500, 'hung')]);
    expect(stopped).toBe('stopped');
    await expect(done).resolves.toBeUndefined();
    expect(worker.status().state).toBe('stopped');
    expect(events.map((event) => event.kind)).not.toContain('registered');
    expect(fakes.queue.pending).toBe(1);
  });

  it('registers afresh under a new id when the sweeper marked it DEAD', async () => {
    const { store, worker, events } = startWorker(async () => 'ok');
    await until(() => worker.status().workerId !== undefined);
    const first = worker.status().workerId ?? '';
    expect(first).toBe('box-4242-0001');
    store.markDead(first);
    await until(() => worker.status().workerId !== first);
    expect(store.items.get(first)?.status).toBe('DEAD');
    expect(store.items.get(worker.status().workerId ?? '')?.status).toBe('IDLE');
    expect(events).toContainEqual({
      kind: 'registered',
      workerId: worker.status().workerId,
      previousWorkerId: first,
    });
  });

  it('fails a step whose output Step Functions cannot take, by name', async () => {
    const { queue, answers } = startWorker(async () => 'x'.repeat(300_000));
    queue.push(agentMessage(newToken()));
    await until(() => answers.answers.length === 1);
    expect(answers.answers[0]).toMatchObject({ ok: false, error: 'Worker.OutputTooLarge' });
  });

  it('answers a message that is not an agent step message with Worker.InvalidMessage when it has a token', async () => {
    const { queue, answers, reports } = startWorker(async () => 'never');
    const token = newToken();
    queue.push(JSON.stringify({ taskToken: token, step: 'nope' }));
    await until(() => answers.answers.length === 1);
    expect(answers.answers[0]).toMatchObject({ token, ok: false, error: 'Worker.InvalidMessage' });
    expect(reports.claims).toEqual([]);
  });
});
