// `stepwise worker` stopped by SIGTERM after the local stack it works for went down: its STOPPED write
// cannot land, so it says it could not record the stop and exits 1 (it printed STOPPED and exited 0).
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startStackProcess, stopStackProcess } from '../support/stack-process';

const dataDirs: string[] = [];

afterAll(async () => {
  for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
});

describe('stepwise worker on SIGTERM', () => {
  it('exits 1 saying it could not record its stop when the stack is down', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'stepwise-worker-stop-'));
    dataDirs.push(dataDir);
    const stack = await startStackProcess(dataDir, { STEPWISE_WORKER_TYPES: '[{"name":"research"}]' });
    const worker = spawn(
      process.execPath,
      ['--import', 'tsx', 'bin/stepwise.ts', 'worker', 'examples/workers/research.ts', '--type', 'research'],
      {
        cwd: new URL('../../', import.meta.url),
        env: { ...process.env, STEPWISE_DATA_DIR: dataDir },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    worker.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    worker.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
    try {
      // Registered: the status line names the worker.
      await expect.poll(() => /worker \S+ research IDLE/.test(stdout), { timeout: 30_000 }).toBe(true);
      expect(await stopStackProcess(stack.child)).toBe(0);
      worker.kill('SIGTERM');
      expect(await exited).toBe(1);
      expect(stderr).toMatch(
        /stopped: worker \S+ could not record its stop \(its item does not say STOPPED\)/,
      );
      expect(stdout).not.toMatch(/stopped: worker \S+ STOPPED/);
    } finally {
      worker.kill('SIGKILL');
      await stopStackProcess(stack.child);
    }
  }, 90_000);
});
