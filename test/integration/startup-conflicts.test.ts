// `npm start` refuses to start next to what is in its way (a port in use, a data folder another running
// stack holds) or with a setting it cannot run with, with one line on stderr saying what and what to do,
// and exit code 1; a lock left by a stack that is gone does not stop it. `--help` prints its usage.
import { spawnSync } from 'node:child_process';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../../local/startup-conflicts';
import { runFailingStackProcess, startStackProcess, stopStackProcess } from '../support/stack-process';

const dataDirs: string[] = [];
const servers: Server[] = [];

afterAll(async () => {
  for (const server of servers) server.close();
  for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
});

async function newDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'stepwise-conflict-'));
  dataDirs.push(dir);
  return dir;
}

/** A port something else listens on. */
async function occupiedPort(): Promise<number> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

function expectOneLine(stderr: string): string {
  const lines = stderr.split('\n').filter((line) => line.trim() !== '');
  expect(lines).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
  return lines[0] ?? '';
}

describe('npm start with a port in use', () => {
  it.each([
    ['the API port', 'STEPWISE_PORT'],
    ['an emulator port', 'STEPWISE_STEPFUNCTIONS_PORT'],
    ['the DynamoDB port', 'STEPWISE_DYNAMODB_PORT'],
  ])('exits 1 with one line naming %s (%s) and what to do', async (_what, variable) => {
    const port = await occupiedPort();
    const dataDir = await newDataDir();
    const { code, stderr } = await runFailingStackProcess(dataDir, { [variable]: String(port) });
    expect(code).toBe(1);
    const line = expectOneLine(stderr);
    expect(line).toContain(`port ${port} (${variable}) is already in use`);
    expect(line).toContain(`set ${variable} to another port`);
    // It released the data folder on the way out.
    await expect(access(join(dataDir, LOCK_FILE))).rejects.toThrow();
  });

  it('makes no data folder for a start it refuses', async () => {
    const port = await occupiedPort();
    const dataDir = join(await newDataDir(), 'new');
    const { code, stderr } = await runFailingStackProcess(dataDir, { STEPWISE_PORT: String(port) });
    expect(code).toBe(1);
    expect(expectOneLine(stderr)).toContain(`port ${port} (STEPWISE_PORT) is already in use`);
    await expect(access(dataDir)).rejects.toThrow();
  });
});

describe('npm start on a data folder in use', () => {
  it('exits 1 naming the folder and the running stack that holds it; the folder is free once that stack stops', async () => {
    const dataDir = await newDataDir();
    const running = await startStackProcess(dataDir);
    try {
      expect(await readFile(join(dataDir, LOCK_FILE), 'utf8')).toBe(`${running.child.pid}\n`);
      const { code, stderr } = await runFailingStackProcess(dataDir, {});
      expect(code).toBe(1);
      const line = expectOneLine(stderr);
      expect(line).toContain(
        `data folder ${dataDir} is in use by another running stack (pid ${running.child.pid})`,
      );
      expect(line).toContain('set STEPWISE_DATA_DIR to another folder');
      // The running stack is untouched.
      expect((await fetch(`${running.endpoints.api}/health`)).status).toBe(200);
    } finally {
      expect(await stopStackProcess(running.child)).toBe(0);
    }
    await expect(access(join(dataDir, LOCK_FILE))).rejects.toThrow();
  });

  it('takes over a lock whose stack is gone', async () => {
    const dataDir = await newDataDir();
    // The pid of a process that has exited.
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    await writeFile(join(dataDir, LOCK_FILE), `${gone}\n`);
    const stack = await startStackProcess(dataDir);
    try {
      expect(await readFile(join(dataDir, LOCK_FILE), 'utf8')).toBe(`${stack.child.pid}\n`);
    } finally {
      expect(await stopStackProcess(stack.child)).toBe(0);
    }
  });
});

describe('npm start with a setting it cannot run with', () => {
  it('exits 1 with one stepwise: line when STEPWISE_WORKER_DEAD_AFTER_SECONDS is below two heartbeat intervals', async () => {
    // 15 s with workers heartbeating every 10 s: one heartbeat 5 s late marked a live worker DEAD.
    const { code, stdout, stderr } = await runFailingStackProcess(await newDataDir(), {
      STEPWISE_WORKER_DEAD_AFTER_SECONDS: '15',
      STEPWISE_WORKER_HEARTBEAT_SECONDS: '10',
    });
    expect(code).toBe(1);
    expect(expectOneLine(stderr)).toBe(
      "stepwise: STEPWISE_WORKER_DEAD_AFTER_SECONDS (15 s) must be at least twice the workers' heartbeat interval (10 s, STEPWISE_WORKER_HEARTBEAT_SECONDS): one late heartbeat would mark a live worker DEAD",
    );
    expect(stdout).not.toContain('Press Ctrl-C');
  });

  it('exits 1 with one stepwise: line for a port that is not a number', async () => {
    const { code, stderr } = await runFailingStackProcess(await newDataDir(), { STEPWISE_PORT: 'abc' });
    expect(code).toBe(1);
    expect(expectOneLine(stderr)).toBe('stepwise: STEPWISE_PORT must be a port number (0-65535), got "abc"');
  });

  it('exits 1 with one stepwise: line for an LLM endpoint that is not an http(s) URL', async () => {
    const { code, stderr } = await runFailingStackProcess(await newDataDir(), {
      STEPWISE_LLM_BASE_URL: 'notaurl',
    });
    expect(code).toBe(1);
    expect(expectOneLine(stderr)).toBe(
      'stepwise: STEPWISE_LLM_BASE_URL must be an http:// or https:// URL, got "notaurl"',
    );
  });

  it('names the log level variable that was set, LOG_LEVEL as well as STEPWISE_LOG_LEVEL', async () => {
    for (const [variable, other] of [
      ['LOG_LEVEL', 'STEPWISE_LOG_LEVEL'],
      ['STEPWISE_LOG_LEVEL', 'LOG_LEVEL'],
    ] as const) {
      const { code, stderr } = await runFailingStackProcess(await newDataDir(), {
        [variable]: 'nope',
        [other]: '',
      });
      expect(code).toBe(1);
      expect(expectOneLine(stderr)).toBe(
        `stepwise: ${variable} must be one of TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL, SILENT, got "nope"`,
      );
    }
  });

  it('exits 1 with one stepwise: line for an argument, which it does not take', async () => {
    const dataDir = await newDataDir();
    const { code, stderr } = await runFailingStackProcess(dataDir, {}, ['--port', '4000']);
    expect(code).toBe(1);
    expect(expectOneLine(stderr)).toBe(
      'stepwise: npm start takes no arguments (got --port 4000); its settings are environment variables, listed by npm start -- --help',
    );
    await expect(access(join(dataDir, 'endpoints.json'))).rejects.toThrow();
  });
});

describe('npm start -- --help', () => {
  it('prints the usage and its settings, and exits 0 without starting the stack', async () => {
    const dataDir = await newDataDir();
    const { code, stdout, stderr } = await runFailingStackProcess(dataDir, {}, ['--help']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^Usage: npm start/);
    for (const variable of ['STEPWISE_PORT', 'STEPWISE_DATA_DIR', 'STEPWISE_WORKER_DEAD_AFTER_SECONDS']) {
      expect(stdout).toContain(variable);
    }
    expect(stdout).not.toContain('Press Ctrl-C');
    await expect(access(join(dataDir, LOCK_FILE))).rejects.toThrow();
    await expect(access(join(dataDir, 'endpoints.json'))).rejects.toThrow();
  });
});
