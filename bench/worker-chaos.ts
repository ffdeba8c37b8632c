// Chaos run of agent steps on the embedded stack: 200 tasks, each one agent step of about a second, run by
// three `stepwise worker` processes of the example research worker (4 steps at a time each) while one worker holding steps is SIGKILLed
// and restarted every 5 s for the first 30 s. Printed per setting: tasks lost (not SUCCEEDED; must be 0),
// duplicate completions (recorded successes beyond one per step; the recorder rewrites a success Step
// Functions never got as Worker.Lost, so this must be 0), handler completions beyond one per step (a worker
// killed between reporting its success and telling Step Functions: the handler ran again, as at-least-once
// delivery allows), and the recovery time of each step a kill took away, from the kill to the
// step running again on another worker (p50, max). A step is the killed worker's when its claim is
// recorded (an attempt with that worker's id); a step killed again on its next worker counts a second
// recovery from the second kill. Messages a worker received but had not claimed when it died (or that its
// open long poll took after it died) reappear after the SDK's claim window (3 s) and are claimed elsewhere
// as if new: nothing records that the dead worker had them, so they are not in the figure. Each recovery
// over the goal (HeartbeatSeconds + 5 s) is printed with the step's Step Functions tasks, to show why.
// Twice: with the defaults (HeartbeatSeconds 90, worker heartbeat every 30 s) and with heartbeatSeconds 15
// (worker heartbeat every 5 s); BENCH_CHAOS_ONLY=default or =15 runs one. Tasks are fed so about as many
// are open as the workers can run at once: HeartbeatSeconds counts from when the step's message is sent,
// so a backlog longer than it would time steps out in the queue.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { tokenIdOf } from '../functions/shared/workers/agent-attempts';
import { type LocalStack, startLocalStack } from '../local/stack';
import { type ApiCall, stackApi } from './stack-api';
import { summarize } from './stats';

const TYPE = 'bench-chaos';
const TASKS = 200;
const WORKERS = 3;
const CONCURRENCY = 4;
const KILL_EVERY_MS = 5_000;
const KILLING_FOR_MS = 30_000;
const projectRoot = fileURLToPath(new URL('..', import.meta.url));
const HANDLER = 'examples/workers/research.ts';

interface Setting {
  readonly label: string;
  readonly heartbeatSeconds?: number;
  readonly workerHeartbeatSeconds?: number;
}

const SETTINGS: readonly Setting[] = [
  { label: 'defaults (HeartbeatSeconds 90, worker heartbeat 30 s)' },
  { label: 'heartbeatSeconds 15 (worker heartbeat 5 s)', heartbeatSeconds: 15, workerHeartbeatSeconds: 5 },
];

interface Attempt {
  stepId: string;
  attempt: number;
  status: string;
  worker?: string;
  error?: string;
  cause?: string;
  startedAt: string;
  tokenId?: string;
}
interface Task {
  taskId: string;
  executionArn: string;
  status: string;
  attempts: Attempt[];
}

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED']);

class WorkerProcess {
  readonly child: ChildProcess;
  private text = '';

  constructor(stack: LocalStack, heartbeatSeconds: number | undefined) {
    const aws = Object.entries(stack.endpoints.environment).filter(([name]) => name.startsWith('AWS_'));
    const args = ['--import', 'tsx', 'bin/stepwise.ts', 'worker', HANDLER, '--type', TYPE];
    args.push('--concurrency', String(CONCURRENCY));
    if (heartbeatSeconds !== undefined) args.push('--heartbeat', String(heartbeatSeconds));
    this.child = spawn(process.execPath, args, {
      cwd: projectRoot,
      env: {
        ...process.env,
        ...Object.fromEntries(aws),
        STEPWISE_TABLE: stack.endpoints.tableName,
        STEPWISE_WORKER_QUEUE_URL: stack.endpoints.workerQueueUrls[TYPE] ?? '',
        STEPWISE_AGENT_REPORTS_FUNCTION: stack.endpoints.agentReportsFunction,
        STEPWISE_WORKER_POLL_WAIT_SECONDS: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer) => {
      // Only the latest status line matters; keep the tail.
      this.text = (this.text + chunk.toString('utf8')).slice(-4_000);
    };
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
  }

  get workerId(): string | undefined {
    return [...this.text.matchAll(new RegExp(`^worker (\\S+) ${TYPE} `, 'gm'))].at(-1)?.[1];
  }

  get inFlight(): number {
    return Number([...this.text.matchAll(/in flight (\d+)\//g)].at(-1)?.[1] ?? 0);
  }

  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
}

export async function benchWorkerChaos(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'stepwise-bench-chaos-'));
  const stack = await startLocalStack({
    dataDir,
    apiPort: 0,
    logLevel: 'ERROR',
    workerTypes: [{ name: TYPE, orgs: [] }],
  });
  const call = stackApi(stack);
  try {
    const only = process.env.BENCH_CHAOS_ONLY;
    for (const setting of SETTINGS) {
      if (!only || only === String(setting.heartbeatSeconds ?? 'default'))
        await chaosRun(stack, call, setting);
    }
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function chaosRun(stack: LocalStack, call: ApiCall, setting: Setting): Promise<void> {
  const workflowId = `chaos_${setting.heartbeatSeconds ?? 'default'}_${Date.now().toString(36)}`;
  await call('POST', '/workflows', {
    id: workflowId,
    version: 1,
    name: workflowId,
    steps: [
      {
        id: 'work',
        type: 'agent',
        workerType: TYPE,
        ...(setting.heartbeatSeconds !== undefined && { heartbeatSeconds: setting.heartbeatSeconds }),
        timeoutSeconds: 600,
        retry: { maxAttempts: 6, intervalSeconds: 1 },
        params: { company: { name: 'Bench Co' }, 'phaseMs.$': '$.input.phaseMs' },
      },
    ],
  });
  const start = () => new WorkerProcess(stack, setting.workerHeartbeatSeconds);
  let workers = Array.from({ length: WORKERS }, start);
  const killedAt = new Map<string, number>();
  const taskIds: string[] = [];
  const settled = new Map<string, Task>();
  const started = Date.now();
  // The stack runs in this process: its timers (HeartbeatSeconds) and answers are late by as much as this
  // process's event loop is, which a loaded machine shows in the recovery figures.
  const loopDelay = monitorEventLoopDelay({ resolution: 20 });
  loopDelay.enable();
  let over = false;
  const monkey = (async () => {
    while (!over && Date.now() - started < KILLING_FOR_MS) {
      await new Promise((resolve) => setTimeout(resolve, KILL_EVERY_MS));
      const victim = workers.find((worker) => worker.inFlight > 0 && worker.workerId);
      if (!victim?.workerId) continue;
      killedAt.set(victim.workerId, Date.now());
      await victim.kill();
      workers = [...workers.filter((worker) => worker !== victim), start()];
    }
  })();
  // Every lost step recovers within HeartbeatSeconds and its retries' backoff; past that a task is lost.
  const deadline = KILLING_FOR_MS + ((setting.heartbeatSeconds ?? 90) + 30) * 3 * 1000;
  try {
    while (settled.size < TASKS && Date.now() - started < deadline) {
      while (taskIds.length - settled.size < WORKERS * CONCURRENCY && taskIds.length < TASKS) {
        const { taskId } = await call<{ taskId: string }>('POST', '/tasks', {
          workflowId,
          // Four phases: 0.6 to 1.4 s of work.
          input: { phaseMs: 150 + (taskIds.length % 5) * 50 },
        });
        taskIds.push(taskId);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      const open = taskIds.filter((id) => !settled.has(id));
      const tasks = await Promise.all(open.map((id) => call<Task>('GET', `/tasks/${id}`)));
      for (const task of tasks) if (TERMINAL.has(task.status)) settled.set(task.taskId, task);
    }
  } finally {
    over = true;
    loopDelay.disable();
    await monkey;
    await Promise.all(workers.map((worker) => worker.kill()));
  }
  const tasks = await Promise.all(taskIds.map((id) => settled.get(id) ?? call<Task>('GET', `/tasks/${id}`)));
  const lost = tasks.filter((task) => task.status !== 'SUCCEEDED').length + (TASKS - tasks.length);
  let duplicates = 0;
  let rerunHandlers = 0;
  const recoveries: number[] = [];
  const goalMs = ((setting.heartbeatSeconds ?? 90) + 5) * 1000;
  const slow: string[] = [];
  for (const task of tasks) {
    const attempts = task.attempts.filter((a) => a.stepId === 'work').sort((a, b) => a.attempt - b.attempt);
    const successes = attempts.filter((a) => a.status === 'SUCCEEDED').length;
    duplicates += Math.max(0, successes - 1);
    // A handler that completed but whose success never reached Step Functions (recorded Worker.Lost).
    const undelivered = attempts.filter((a) => a.cause?.includes('reported success') === true).length;
    rerunHandlers += Math.max(0, successes + undelivered - 1);
    for (const [index, attempt] of attempts.entries()) {
      const kill = attempt.worker === undefined ? undefined : killedAt.get(attempt.worker);
      const next = attempts[index + 1];
      if (kill === undefined || attempt.status === 'SUCCEEDED' || !next) continue;
      const recovery = Date.parse(next.startedAt) - kill;
      recoveries.push(recovery);
      if (recovery > goalMs) slow.push(await whySlow(stack, task, attempt, kill, recovery));
    }
  }
  const { p50, max, n } = summarize(recoveries);
  const seconds = (value: number) => (Number.isFinite(value) ? `${(value / 1000).toFixed(1)} s` : '-');
  for (const line of slow) console.log(line);
  console.log(
    `worker chaos, ${setting.label}: ${TASKS} tasks, ${killedAt.size} workers killed; tasks lost ${lost}, duplicate completions ${duplicates}, handler completions beyond one per step ${rerunHandlers}; recovery kill -> running elsewhere p50 ${seconds(p50)}, max ${seconds(max)} (n=${n} steps); stack event-loop delay max ${seconds(loopDelay.max / 1e6)}; ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
}

/**
 * One line on a recovery over the goal: the step's Step Functions tasks since the kill (each message sent
 * with its token, how it ended) and who claimed them, in seconds from the kill.
 */
async function whySlow(
  stack: LocalStack,
  task: Task,
  lost: Attempt,
  kill: number,
  recovery: number,
): Promise<string> {
  const { environment: env, stepfunctions, region } = stack.endpoints;
  const sfn = new SFNClient({
    endpoint: stepfunctions,
    region,
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
    },
  });
  const { events = [] } = await sfn.send(
    new GetExecutionHistoryCommand({ executionArn: task.executionArn, maxResults: 1000 }),
  );
  const at = (time: Date | string | undefined) =>
    `${((new Date(time ?? 0).getTime() - kill) / 1000).toFixed(1)} s`;
  const claims = new Map(task.attempts.map((attempt) => [attempt.tokenId, attempt]));
  const story: string[] = [];
  for (const event of events) {
    const sent = event.taskScheduledEventDetails?.parameters?.match(/"taskToken":"([^"]+)"/)?.[1];
    if (sent) {
      const claim = claims.get(tokenIdOf(sent));
      story.push(
        `${at(event.timestamp)} message sent, ${claim ? `claimed ${at(claim.startedAt)} by ${claim.worker}` : 'never claimed'}`,
      );
    }
    const ended = event.taskTimedOutEventDetails ?? event.taskFailedEventDetails;
    if (ended) story.push(`${at(event.timestamp)} ${ended.error}`);
  }
  return `  slow recovery ${(recovery / 1000).toFixed(1)} s: task ${task.taskId}, attempt ${lost.attempt} on ${lost.worker} killed at 0 s; ${story.join('; ')}`;
}
