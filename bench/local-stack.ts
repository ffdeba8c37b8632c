// How long the embedded stack takes to start, on an empty data folder and again on the data it left.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack } from '../local/stack';
import { ms } from './stats';

export async function benchStackStart(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'stepwise-bench-'));
  try {
    for (const label of ['empty data folder', 'existing data folder']) {
      const started = performance.now();
      const stack = await startLocalStack({ dataDir, apiPort: 0, logLevel: 'ERROR' });
      const elapsed = performance.now() - started;
      await stack.stop();
      console.log(`stack start (${label}): ${ms(elapsed)}`);
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}
