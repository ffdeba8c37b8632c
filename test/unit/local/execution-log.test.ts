// The execution log: what a reload replays equals what was changed, with lines that carry only the
// change, compactions mid-run (a tiny threshold here) and removals.
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ExecutionLog } from '../../../local/stepfunctions/execution-log';
import type { ExecutionRecord } from '../../../local/stepfunctions/executions';
import type { JournalEntry } from '../../../local/stepfunctions/task-journal';

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'stepwise-execution-log-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const record = (n: number): ExecutionRecord => ({
  executionArn: `arn:aws:states:us-east-1:000000000000:execution:m:run-${n}`,
  stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:m',
  name: `run-${n}`,
  status: 'RUNNING',
  startDate: 1_000 + n,
  input: JSON.stringify({ n, padding: 'x'.repeat(200) }),
  history: [{ id: 1, previousEventId: 0, timestamp: 1_000 + n, type: 'ExecutionStarted' }],
  tasks: [],
});

async function reload(): Promise<Map<string, ExecutionRecord>> {
  const records = new Map<string, ExecutionRecord>();
  const log = ExecutionLog.in(dataDir);
  await log.load(records);
  await log.close();
  return records;
}

it('replays every change, through compactions, and writes only the change on each line', async () => {
  const records = new Map<string, ExecutionRecord>();
  const log = ExecutionLog.in(dataDir, 4_000);
  await log.load(records);
  for (let n = 0; n < 30; n++) {
    const r = record(n);
    records.set(r.executionArn, r);
    log.changed(r);
    const entry: JournalEntry = { key: `Step#${n}#1` };
    r.tasks?.push(entry);
    entry.token = `token-${n}`;
    log.changed(r, entry);
    await log.flush();
    entry.outcome = { output: { n } };
    r.history.push({ id: 2, previousEventId: 1, timestamp: 2_000 + n, type: 'TaskSucceeded' });
    log.changed(r, entry);
    if (n % 3 === 0) {
      Object.assign(r, { status: 'SUCCEEDED', stopDate: 3_000 + n, output: '{}', statusEventPending: true });
      delete r.tasks;
      log.changed(r);
    }
    // The status events of some ended executions are delivered (after their end's line, or with it).
    if (n % 6 === 3) {
      await log.flush();
      delete r.statusEventPending;
      log.changed(r);
      await log.flush();
      const delivered = JSON.parse(
        (await readFile(join(dataDir, 'stepfunctions', 'executions.log'), 'utf8'))
          .trimEnd()
          .split('\n')
          .at(-1) ?? '{}',
      );
      expect(delivered).toEqual({ arn: r.executionArn, statusEventPending: false });
    }
    if (n % 7 === 6) {
      records.delete(record(n - 6).executionArn);
      log.remove(record(n - 6).executionArn);
    }
    await log.flush();
  }
  const text = await readFile(join(dataDir, 'stepfunctions', 'executions.log'), 'utf8');
  // Compacted at least once (the header), and the last line is one execution's change only.
  expect(text.startsWith('{"compactedBytes":')).toBe(true);
  const last = JSON.parse(text.trimEnd().split('\n').at(-1) ?? '{}');
  expect(Object.keys(last).sort()).toEqual(['arn', 'history', 'tasks']);
  expect(last.history).toHaveLength(1);
  await log.close();

  const replayed = await reload();
  expect(replayed).toEqual(records);
  // Pending and delivered ones both came through (a head line does not carry the pending mark).
  const pending = [...replayed.values()].filter((r) => r.statusEventPending);
  expect(pending.length).toBeGreaterThan(0);
  expect(pending.length).toBeLessThan([...replayed.values()].filter((r) => r.status === 'SUCCEEDED').length);
});

it('takes over the executions.json of an earlier version', async () => {
  const old = [record(1), { ...record(2), status: 'SUCCEEDED' as const, stopDate: 5 }];
  const { mkdir, writeFile } = await import('node:fs/promises');
  await mkdir(join(dataDir, 'stepfunctions'), { recursive: true });
  await writeFile(join(dataDir, 'stepfunctions', 'executions.json'), JSON.stringify(old));
  expect([...(await reload()).values()]).toEqual(old);
  expect([...(await reload()).values()]).toEqual(old); // now from the log, the old file gone
});

it('keeps the log owner-only (its lines hold task tokens), a new one and one an earlier version left 0644', async () => {
  const log = join(dataDir, 'stepfunctions', 'executions.log');
  const mode = async () => (await stat(log)).mode & 0o777;
  const records = new Map<string, ExecutionRecord>();
  const first = ExecutionLog.in(dataDir);
  await first.load(records);
  const r = record(1);
  records.set(r.executionArn, r);
  first.changed(r, { key: 'Step#1#1', token: 'token-1' });
  await first.flush();
  await first.close();
  expect(await mode()).toBe(0o600);

  // An existing data folder: the log as an earlier version left it, readable by everyone (a load that
  // appends to it, not one that rewrites it).
  await chmod(log, 0o644);
  expect((await reload()).size).toBe(1);
  expect(await mode()).toBe(0o600);
});
