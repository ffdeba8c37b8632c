// `npm start` as a user runs it: the embedded stack in a child process of its own, found through the
// files it writes to its data folder. Handlers are modules loaded once per process, so a stack of its own
// process is the only way to run two stacks side by side (the integration and e2e projects).
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DevCredentials } from '../../local/dev-credentials';
import type { LocalEndpoints } from '../../local/stack';

export interface StackProcess {
  readonly child: ChildProcess;
  readonly endpoints: LocalEndpoints;
  readonly credentials: DevCredentials;
  /** What it printed so far (stdout and stderr). */
  output(): string;
}

/** Stacks started and not yet exited: what killAllStackProcesses ends after a failed test. */
const running = new Set<ChildProcess>();

/** SIGKILLs every stack a test started and left running (an assertion failed before it stopped it). */
export async function killAllStackProcesses(): Promise<void> {
  await Promise.all([...running].map((child) => killStackProcess(child)));
}

function spawnStack(dataDir: string, env: Record<string, string> = {}, args: string[] = []): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts', ...args], {
    env: {
      ...process.env,
      STEPWISE_DATA_DIR: dataDir,
      STEPWISE_PORT: '0',
      STEPWISE_LOG_LEVEL: 'ERROR',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** `env` overrides the child's environment (e.g. STEPWISE_LOG_LEVEL, which is ERROR by default here). */
export async function startStackProcess(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<StackProcess> {
  const child = spawnStack(dataDir, env);
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk;
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`stack did not start:\n${output}`)), 60_000);
    child.once('exit', (code) => reject(new Error(`stack exited with ${code}:\n${output}`)));
    child.stdout?.on('data', () => {
      if (output.includes('Press Ctrl-C to stop.')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const read = async <T>(file: string) => JSON.parse(await readFile(join(dataDir, file), 'utf8')) as T;
  return {
    child,
    endpoints: await read<LocalEndpoints>('endpoints.json'),
    credentials: await read<DevCredentials>('dev-credentials.json'),
    output: () => output,
  };
}

/** SIGTERM, as Ctrl-C would; resolves with the exit code. */
export async function stopStackProcess(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

/** SIGKILL, as a crash or `kill -9` would: nothing in the process gets to clean up. */
export async function killStackProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

/**
 * Runs `npm start` (with `args`, as after `npm start --`) expecting it to exit before it starts: resolves
 * with its exit code and output once it exits.
 */
export async function runFailingStackProcess(
  dataDir: string,
  env: Record<string, string>,
  args: string[] = [],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnStack(dataDir, env, args);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((resolve) =>
    child.once('exit', (exitCode) => resolve(exitCode)),
  );
  clearTimeout(timer);
  return { code, stdout, stderr };
}
