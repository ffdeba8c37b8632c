import '../local/powertools-environment';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack } from '../local/stack';
import { exampleWorkflow, stackApi } from './stack-api';
import { pushedCompletion } from './task-completion';

const conc = Number(process.argv[2] ?? 1);
const n = Number(process.argv[3] ?? 100);
const stack = await startLocalStack({
  dataDir: await mkdtemp(join(tmpdir(), 'prof-')),
  apiPort: 0,
  logLevel: 'ERROR',
});
const call = stackApi(stack);
const completion = await pushedCompletion(stack);
const def = await exampleWorkflow('basic_sequence');
await call('POST', '/workflows', def);
const runOne = async () => {
  const { taskId } = await call<{ taskId: string }>('POST', '/tasks', {
    workflowId: def.id,
    input: { text: 'benchmark input text' },
  });
  await completion.ended(taskId);
};
const level = async (count: number) => {
  let next = 0;
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (next++ < count) await runOne();
    }),
  );
};
await level(30);
if (process.env.PAUSE) {
  console.log('PID', process.pid);
  await new Promise((r) => setTimeout(r, 3000));
}
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 100 });
await session.post('Profiler.start');
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await level(n);
const cpu = process.cpuUsage(cpu0);
const wall = performance.now() - t0;
const { profile } = await session.post('Profiler.stop');
await writeFile(`/tmp/prof/c${conc}.cpuprofile`, JSON.stringify(profile));
console.log(
  `c=${conc} n=${n} wall ${wall.toFixed(0)} ms, cpu user ${(cpu.user / 1000).toFixed(0)} sys ${(cpu.system / 1000).toFixed(0)} ms, per step ${((cpu.user + cpu.system) / 1000 / (n * 3)).toFixed(2)} ms`,
);
await completion.close();
await stack.stop();
process.exit(0);
