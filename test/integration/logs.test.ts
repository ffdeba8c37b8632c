// Every line the handlers log, captured from `npm start` running real tasks: JSON, from a handler
// invocation (function_name), with the context keys that apply to its function, and no Powertools
// "No application metrics to publish" noise.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from '../support/api-request';
import { type StackProcess, startStackProcess, stopStackProcess } from '../support/stack-process';

interface LogLine {
  level: string;
  message: string;
  service: string;
  function_name?: string;
  [key: string]: unknown;
}

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED']);

// The keys each function's lines must carry (attempt is added per line by the step runner's own lines).
const REQUIRED_KEYS: Record<string, string[]> = {
  'stepwise-api': ['request_id', 'org_id'],
  'stepwise-authorizer': ['request_id'],
  'stepwise-health': ['request_id'],
  'stepwise-task-events': ['execution_arn', 'task_id', 'org_id', 'workflow_id'],
  'stepwise-step-runner': ['task_id', 'org_id', 'workflow_id', 'step_id'],
  'stepwise-reconciler': [],
};

const failing = {
  id: 'logs_failing',
  version: 1,
  name: 'A step that always fails',
  inputSchema: { type: 'object' },
  steps: [
    {
      id: 'check',
      type: 'transform',
      params: { expression: '$error("amount must be positive")' },
    },
  ],
};

async function startAndWait(
  api: ReturnType<typeof apiClient>,
  workflowId: string,
  input: unknown,
): Promise<{ taskId: string; status: string }> {
  const started = await api<{ taskId: string }>('POST', '/tasks', { workflowId, input });
  expect(started.status).toBe(201);
  for (let i = 0; i < 300; i++) {
    const { body } = await api<{ taskId: string; status: string }>('GET', `/tasks/${started.body.taskId}`);
    if (TERMINAL.has(body.status)) return body;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`task ${started.body.taskId} did not end`);
}

const approval = {
  id: 'logs_approval',
  version: 1,
  name: 'An approval that is approved, or expires',
  steps: [{ id: 'review', type: 'approval', approvers: ['ADMIN'], message: 'Go?', timeoutSeconds: 2 }],
};

/** Starts a task of `approval`; approves it once it waits (or lets it expire), then decides too late. */
async function runApproval(api: ReturnType<typeof apiClient>, approve: boolean): Promise<string> {
  const started = await api<{ taskId: string }>('POST', '/tasks', { workflowId: 'logs_approval', input: {} });
  const decision = `/tasks/${started.body.taskId}/approvals/review`;
  for (let i = 0; approve && i < 100; i++) {
    if ((await api('POST', decision, { decision: 'approve' })).status === 200) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  for (let i = 0; i < 100; i++) {
    const { body } = await api<{ status: string }>('GET', `/tasks/${started.body.taskId}`);
    if (TERMINAL.has(body.status)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect((await api('POST', decision, { decision: 'approve' })).status).toBe(409);
  return started.body.taskId;
}

/** Runs one task of `failing` on a stack of its own with `env`; resolves with every line it printed. */
async function collectLines(env: Record<string, string>): Promise<string[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'stepwise-logs-'));
  const stack = await startStackProcess(dataDir, env);
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk;
  };
  stack.child.stdout?.on('data', collect);
  stack.child.stderr?.on('data', collect);
  try {
    const api = apiClient(stack.endpoints.api, stack.credentials.apiKey);
    expect((await api('POST', '/workflows', failing)).status).toBeLessThan(300);
    expect((await startAndWait(api, 'logs_failing', {})).status).toBe('FAILED');
  } finally {
    await stopStackProcess(stack.child);
    await rm(dataDir, { recursive: true, force: true });
  }
  return output.split('\n').filter((line) => line.startsWith('{'));
}

describe('log level and sampling', () => {
  it('logs nothing below WARN with LOG_LEVEL=WARN (the same run logs INFO lines by default)', async () => {
    const lines = (await collectLines({ STEPWISE_LOG_LEVEL: '', LOG_LEVEL: 'WARN' })).map(
      (line) => JSON.parse(line) as LogLine,
    );
    expect(lines.filter((line) => !['WARN', 'ERROR', 'CRITICAL'].includes(line.level))).toEqual([]);
  });

  it('logs every level of a sampled invocation with POWERTOOLS_LOGGER_SAMPLE_RATE=1', async () => {
    const lines = (
      await collectLines({ STEPWISE_LOG_LEVEL: 'ERROR', POWERTOOLS_LOGGER_SAMPLE_RATE: '1' })
    ).map((line) => JSON.parse(line) as LogLine);
    expect(lines.map((line) => line.message)).toContain('Task settled');
  });
});

describe('handler logs on the embedded stack', () => {
  let dataDir: string;
  let stack: StackProcess;
  let stdout = '';
  let stderr = '';
  const tasks: { taskId: string; status: string }[] = [];
  const approvalTasks: string[] = [];
  let lines: LogLine[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'stepwise-logs-'));
    // The level `npm start` uses by default.
    stack = await startStackProcess(dataDir, { STEPWISE_LOG_LEVEL: 'INFO' });
    stack.child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    stack.child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    const api = apiClient(stack.endpoints.api, stack.credentials.apiKey);
    const basic = JSON.parse(
      await readFile(new URL('../../examples/workflows/basic_sequence.json', import.meta.url), 'utf8'),
    ) as unknown;
    expect((await api('POST', '/workflows', basic)).status).toBeLessThan(300);
    expect((await api('POST', '/workflows', failing)).status).toBeLessThan(300);
    tasks.push(await startAndWait(api, 'basic_sequence', { text: '  logs, please  ' }));
    tasks.push(await startAndWait(api, 'logs_failing', {}));
    expect((await api('POST', '/workflows', approval)).status).toBeLessThan(300);
    approvalTasks.push(await runApproval(api, true), await runApproval(api, false));
    // A refused request (the authorizer logs it) and a public route.
    expect((await api('GET', '/tasks', undefined, { apiKey: 'sk_not_a_key' })).status).toBe(401);
    expect((await fetch(`${stack.endpoints.api}/health`)).status).toBe(200);
    expect(await stopStackProcess(stack.child)).toBe(0);
    // Collected from the end of the startup banner on: the handlers' lines, then the shutdown messages the
    // stack prints itself. Anything else (a stack trace, a plain console line) fails JSON.parse.
    // (Powertools writes WARN and above to stderr, the rest to stdout.)
    const raw = `${stdout}\n${stderr}`
      .split('\n')
      .filter((line) => line.trim() !== '')
      .filter((line) => !/^(SIGTERM received, stopping\.\.\.|stopped)$/.test(line.trim()));
    lines = raw.map((line) => JSON.parse(line) as LogLine);
  }, 120_000);

  afterAll(async () => {
    if (stack && stack.child.exitCode === null) await stopStackProcess(stack.child);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('ran the tasks to their ends', () => {
    expect(tasks.map((task) => task.status)).toEqual(['SUCCEEDED', 'FAILED']);
  });

  it('writes every handler line as JSON from a handler invocation', () => {
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(line).toMatchObject({
        service: 'stepwise',
        level: expect.any(String),
        message: expect.any(String),
      });
      expect(Object.keys(REQUIRED_KEYS)).toContain(line.function_name);
    }
  });

  it('puts the context keys of its function on every line', () => {
    for (const line of lines) {
      for (const key of REQUIRED_KEYS[line.function_name ?? ''] ?? []) {
        expect(line, `${line.function_name}: "${line.message}" lacks ${key}`).toHaveProperty(key);
      }
    }
  });

  it('logs each task settling under its ids', () => {
    // (Whether "Task running" appears depends on whether the execution's RUNNING event or the first step
    // marks the task first.)
    for (const task of tasks) {
      const own = lines.filter((line) => line.task_id === task.taskId);
      expect(own.map((line) => line.message)).toContain('Task settled');
    }
    const settled = lines.find(
      (line) => line.message === 'Task settled' && line.task_id === tasks[1]?.taskId,
    );
    expect(settled).toMatchObject({ workflow_id: 'logs_failing', status: 'FAILED' });
  });

  it('logs a failed step attempt with the step it belongs to', () => {
    expect(lines).toContainEqual(
      expect.objectContaining({
        function_name: 'stepwise-step-runner',
        message: 'Step attempt failed',
        task_id: tasks[1]?.taskId,
        workflow_id: 'logs_failing',
        step_id: 'check',
      }),
    );
  });

  it('logs approval requests under their step, and never a task token', () => {
    for (const taskId of approvalTasks) {
      expect(lines).toContainEqual(
        expect.objectContaining({ message: 'Approval requested', task_id: taskId, step_id: 'review' }),
      );
    }
    // The local Step Functions endpoint's tokens (local/stepfunctions/task-tokens.ts).
    expect(`${stdout}${stderr}`).not.toMatch(/AQ[A-Za-z0-9_-]{64}/);
  });

  it('logs a refused request with its API Gateway request id', () => {
    const refused = lines.find((line) => line.message === 'Request refused');
    expect(refused).toMatchObject({ function_name: 'stepwise-authorizer', request_id: expect.any(String) });
  });

  it('prints no "No application metrics to publish" line', () => {
    expect(`${stdout}${stderr}`).not.toContain('No application metrics');
  });
});
