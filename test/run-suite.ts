// `npm test`: the typecheck, the lint and every vitest project, in two lanes that run side by side. vitest
// runs one file at a time on a 2-core machine (one worker per core but one), and the projects against the
// embedded stack spend most of their time waiting on it (timers, retries, worker processes) rather than
// on the CPU. So they keep one vitest run, one file at a time as before, while the other lane typechecks,
// lints and runs the projects that need no stack (unit, CDK assertions), which are CPU work, at a lower
// priority: it takes the CPU the stack lane leaves idle, and the stack lane's timing (heartbeats,
// timeouts, worker kills) stays close to what it is alone. Arguments go to both vitest runs. The stack
// lane's output is printed as it comes, the other lane's in one piece when it ends; a failing typecheck or
// lint skips that lane's tests; the exit code is 1 if any lane failed. Both lanes get a temporary folder of
// their own as TMPDIR, removed at the end: what the tests leave there (each CDK app synthesized without an
// outdir makes a cloud assembly of ~20 MB under the temporary folder) does not pile up run after run.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import config from '../vitest.config';

interface Lane {
  readonly name: string;
  readonly commands: readonly (readonly string[])[];
  /** Printed as it comes, rather than in one piece when the lane ends. */
  readonly live?: boolean;
  /** Scheduling priority of its processes (and theirs): 0 as usual, up to 19 for the least. */
  readonly niceness?: number;
}

/** The projects whose files run against an embedded stack (one per project, started by its global setup). */
const STACK_PROJECTS = ['integration', 'e2e'];
const projects = (config.test?.projects ?? []).flatMap((project) => {
  const name = typeof project === 'object' && 'test' in project ? project.test?.name : undefined;
  return typeof name === 'string' ? [name] : [];
});
/**
 * Projects that bring a stack of their own (browser: the console in Chromium) and so run in a vitest run of
 * their own after the other lane's, rather than starting their stack while unit and infra use the CPU.
 */
const LATER_PROJECTS = ['browser'];
const others = projects.filter((name) => !STACK_PROJECTS.includes(name) && !LATER_PROJECTS.includes(name));
const vitest = (names: readonly string[]) => [
  'vitest',
  'run',
  ...names.flatMap((name) => ['--project', name]),
  ...process.argv.slice(2),
];

const lanes: Lane[] = [
  { name: STACK_PROJECTS.join(', '), commands: [vitest(STACK_PROJECTS)], live: true },
  {
    name: ['typecheck', 'lint', ...others, ...LATER_PROJECTS].join(', '),
    commands: [
      ['tsc', '--noEmit'],
      ['tsc', '--noEmit', '-p', 'console'],
      ['biome', 'check', '.'],
      vitest(others),
      vitest(LATER_PROJECTS),
    ],
    niceness: 10,
  },
];

/** Runs the lane's commands one after another (stopping at the first that fails); resolves with its exit code. */
async function run(lane: Lane): Promise<number> {
  const started = Date.now();
  let output = '';
  let code = 0;
  for (const [command = '', ...args] of lane.commands) {
    const child = spawn(command, args, {
      // Colours as the command would print them on this terminal.
      env: { ...process.env, TMPDIR: scratch, ...(process.stdout.isTTY && { FORCE_COLOR: '1' }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Set as soon as it runs, before it starts processes of its own (vitest's workers), which inherit it.
    if (lane.niceness && child.pid !== undefined) {
      try {
        setPriority(child.pid, lane.niceness);
      } catch {
        // It has already exited: its exit code says how it went.
      }
    }
    // A live lane writes whole lines only, so the other lane's output never lands inside one.
    const write = (chunk: Buffer) => {
      output += chunk;
      const end = output.lastIndexOf('\n') + 1;
      if (lane.live && end > 0) {
        process.stdout.write(output.slice(0, end));
        output = output.slice(end);
      }
    };
    child.stdout.on('data', write);
    child.stderr.on('data', write);
    code = await new Promise<number>((resolve) => {
      child.on('error', (error) => {
        write(Buffer.from(`${command}: ${error.message}\n`));
        resolve(1);
      });
      child.on('close', (exitCode) => resolve(exitCode ?? 1));
    });
    if (code !== 0) break;
  }
  process.stdout.write(output);
  const seconds = Math.round((Date.now() - started) / 1000);
  process.stdout.write(
    `\n[${lane.name}] ${code === 0 ? 'passed' : `FAILED (exit ${code})`} in ${seconds} s\n\n`,
  );
  return code;
}

const scratch = await mkdtemp(join(tmpdir(), 'stepwise-test-'));
const codes = await Promise.all(lanes.map(run));
await rm(scratch, { recursive: true, force: true });
process.exit(codes.some((code) => code !== 0) ? 1 : 0);
