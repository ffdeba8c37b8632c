// `stepwise workflows list`, `tasks list`, `tasks cancel` and an operator's `--admin` reads run as a user
// runs them, against the embedded stack, with their argument checks.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { apiClient } from '../support/api-request';

const endpoints = inject('endpoints');
const credentials = inject('credentials');
const run = promisify(execFile);
const root = new URL('../../', import.meta.url);
const api = apiClient(endpoints.api, credentials.apiKey);

function stepwiseAs(apiKey: string, ...args: string[]) {
  return run(
    process.execPath,
    ['--import', 'tsx', 'bin/stepwise.ts', ...args, '--url', endpoints.api, '--api-key', apiKey],
    { cwd: root },
  );
}

const stepwise = (...args: string[]) => stepwiseAs(credentials.apiKey, ...args);

async function failure(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return failureAs(credentials.apiKey, ...args);
}

async function failureAs(
  apiKey: string,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return stepwiseAs(apiKey, ...args).then(
    ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      stdout: error.stdout,
      stderr: error.stderr,
    }),
  );
}

// A step that waits (a `wait` step), so a task stays RUNNING until cancelled.
const slow = {
  id: 'cli_slow',
  version: 1,
  name: 'Waits a minute',
  inputSchema: { type: 'object' },
  steps: [{ id: 'pause', type: 'wait', seconds: 60 }],
};

// Fails at once: its only step fails and is not retried.
const failing = {
  id: 'cli_failing',
  version: 1,
  name: 'Fails',
  inputSchema: { type: 'object' },
  steps: [
    {
      id: 'boom',
      type: 'transform',
      retry: { maxAttempts: 0 },
      params: { expression: '1', simulate: { fail: true, error: 'Boom' } },
    },
  ],
};

let basicTaskId: string;

beforeAll(async () => {
  const basic = JSON.parse(
    readFileSync(new URL('examples/workflows/basic_sequence.json', root), 'utf8'),
  ) as unknown;
  expect((await api('POST', '/workflows', basic)).status).toBeLessThan(300);
  expect((await api('POST', '/workflows', slow)).status).toBeLessThan(300);
  expect((await api('POST', '/workflows', failing)).status).toBeLessThan(300);
  const started = await api<{ taskId: string }>('POST', '/tasks', {
    workflowId: 'basic_sequence',
    input: { text: 'listed by the CLI' },
    agentId: 'cli-agent',
  });
  expect(started.status).toBe(201);
  basicTaskId = started.body.taskId;
});

describe('stepwise workflows list', () => {
  it('lists the registered workflows with their latest version', async () => {
    const { stdout } = await stepwise('workflows', 'list');
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^WORKFLOW\s+LATEST\s+UPDATED\s+NAME$/);
    expect(lines.find((line) => line.startsWith('basic_sequence '))).toMatch(/^basic_sequence\s+1\s/);
    expect(lines.find((line) => line.startsWith('cli_slow '))).toContain('Waits a minute');
  });

  it('prints the API answer with --json', async () => {
    const { stdout } = await stepwise('workflows', 'list', '--json');
    const page = JSON.parse(stdout) as { items: { workflowId: string }[] };
    expect(page.items.map((item) => item.workflowId)).toEqual(
      expect.arrayContaining(['basic_sequence', 'cli_slow']),
    );
  });
});

describe('stepwise tasks list', () => {
  it('filters by workflow and agent, newest first', async () => {
    const { stdout } = await stepwise(
      'tasks',
      'list',
      '--workflow',
      'basic_sequence',
      '--agent',
      'cli-agent',
      '--json',
    );
    const page = JSON.parse(stdout) as { items: { taskId: string; workflowId: string; agentId?: string }[] };
    expect(page.items.map((task) => task.taskId)).toContain(basicTaskId);
    expect(
      page.items.every((task) => task.workflowId === 'basic_sequence' && task.agentId === 'cli-agent'),
    ).toBe(true);
  });

  it('shows a table with the task, its workflow version, status and agent', async () => {
    const { stdout } = await stepwise('tasks', 'list', '--workflow', 'basic_sequence', '--from', '1h');
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^TASK\s+WORKFLOW\s+STATUS\s+AGENT\s+CREATED\s+DURATION$/);
    expect(lines.find((line) => line.startsWith(basicTaskId))).toMatch(
      /basic_sequence v1\s+\w+\s+cli-agent\s/,
    );
  });

  it('finds nothing in a range before the task was created', async () => {
    const { stdout } = await stepwise(
      'tasks',
      'list',
      '--workflow',
      'basic_sequence',
      '--to',
      '2020-01-01T00:00:00Z',
    );
    expect(stdout).toBe('no tasks\n');
  });

  it('refuses an unknown status with exit 2, naming the option and the choices', async () => {
    const result = await failure('tasks', 'list', '--status', 'DONE');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("option '--status <status>' argument 'DONE' is invalid");
    expect(result.stderr).toContain('SUCCEEDED');
  });

  it('refuses --stuck-after without --status STUCK as a usage mistake (exit 2), not an API error', async () => {
    for (const args of [
      ['--stuck-after', '5'],
      ['--stuck-after', '5', '--status', 'RUNNING'],
    ]) {
      const result = await failure('tasks', 'list', ...args);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe('error: --stuck-after needs --status STUCK\n');
    }
    const { stdout } = await stepwise('tasks', 'list', '--status', 'STUCK', '--stuck-after', '5');
    expect(stdout).toBe('no tasks\n');
  });

  it('refuses a time that is neither ISO nor a span ago', async () => {
    const result = await failure('tasks', 'list', '--from', 'yesterday');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("option '--from <time>' argument 'yesterday' is invalid");
  });
});

describe('stepwise tasks start --watch', () => {
  it('prints the new task id, then follows the task to its end and exits 0 when it SUCCEEDED', async () => {
    const { stdout } = await stepwise(
      'tasks',
      'start',
      'basic_sequence',
      '--input',
      '{"text":"watched from its start"}',
      '--watch',
    );
    const [first, ...rest] = stdout.trimEnd().split('\n');
    const taskId = /^started task ([0-9a-f-]{36})$/.exec(first ?? '')?.[1];
    expect(taskId, stdout).toBeDefined();
    expect(rest.at(-4)).toBe(`task ${taskId} (basic_sequence): SUCCEEDED`);
    expect(rest.slice(-3).map((line) => line.trim().split(/\s+/).slice(0, 2))).toEqual([
      ['normalize', 'SUCCEEDED'],
      ['summarize', 'SUCCEEDED'],
      ['format', 'SUCCEEDED'],
    ]);
    expect((await api<{ status: string }>('GET', `/tasks/${taskId}`)).body.status).toBe('SUCCEEDED');
  });

  it('exits 1 when the watched task does not succeed (followed by polling)', async () => {
    const result = await failure('tasks', 'start', 'cli_failing', '--watch', '--poll');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/\): FAILED\n {2}boom\s+FAILED\s+attempts 1 {2}Boom\n {2}error: Boom/);
  });
});

describe('stepwise tasks get, events and timeline --admin', () => {
  it("read a task through the /admin routes, as an operator reads any organization's", async () => {
    const operator = credentials.operatorApiKey;
    const refused = await failureAs(operator, 'tasks', 'timeline', basicTaskId);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('/admin routes');

    const timeline = JSON.parse(
      (await stepwiseAs(operator, 'tasks', 'timeline', basicTaskId, '--admin', '--json')).stdout,
    );
    expect(timeline).toMatchObject({ taskId: basicTaskId, workflowId: 'basic_sequence' });
    expect(timeline.steps.map((step: { stepId: string }) => step.stepId)).toEqual([
      'normalize',
      'summarize',
      'format',
    ]);
    const chart = (await stepwiseAs(operator, 'tasks', 'timeline', basicTaskId, '--admin', '--width', '100'))
      .stdout;
    expect(chart).toContain('summarize');

    const events = JSON.parse(
      (await stepwiseAs(operator, 'tasks', 'events', basicTaskId, '--admin', '--json')).stdout,
    );
    expect(Object.keys(events)).toEqual(['taskId', 'events']);
    expect(events.events[0]).toMatchObject({ type: 'TASK_CREATED' });
    const task = JSON.parse((await stepwiseAs(operator, 'tasks', 'get', basicTaskId, '--admin')).stdout);
    expect(task).toMatchObject({ taskId: basicTaskId, orgId: credentials.orgId, events: expect.any(Array) });
  });
});

describe('stepwise tasks cancel', () => {
  it('cancels a running task, which then ends CANCELLED', async () => {
    const started = await api<{ taskId: string }>('POST', '/tasks', { workflowId: 'cli_slow', input: {} });
    expect(started.status).toBe(201);
    const { stdout } = await stepwise('tasks', 'cancel', started.body.taskId);
    expect(stdout).toMatch(new RegExp(`^task ${started.body.taskId}: (CANCELLED|RUNNING|PENDING)\\n$`));
    let status = '';
    for (let i = 0; i < 100 && status !== 'CANCELLED'; i++) {
      status = (await api<{ status: string }>('GET', `/tasks/${started.body.taskId}`)).body.status;
      if (status !== 'CANCELLED') await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe('CANCELLED');
  });

  it('exits 1 with the API error for a task that does not exist', async () => {
    const result = await failure('tasks', 'cancel', 'no-such-task');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error 404/);
  });

  it('needs the task id (exit 2)', async () => {
    const result = await failure('tasks', 'cancel');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("missing required argument 'taskId'");
  });
});

describe('stepwise --help', () => {
  it('says who may read health: OWNER and ADMIN their organization, OPERATOR every one', async () => {
    const { stdout } = await stepwise('health', '--help');
    expect(stdout.replace(/\s+/g, ' ')).toContain(
      "OWNER, ADMIN: the organization's; OPERATOR: every organization's",
    );
    expect(stdout).not.toContain('(operators)');
  });

  it("says the worker heartbeats at the local stack's interval unless --heartbeat is given", async () => {
    const { stdout } = await stepwise('worker', '--help');
    expect(stdout.replace(/\s+/g, ' ')).toContain(
      "default: the local stack's, workerHeartbeatSeconds in endpoints.json",
    );
  });
});
