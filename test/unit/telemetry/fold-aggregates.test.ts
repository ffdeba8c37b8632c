import { describe, expect, it } from 'vitest';
import {
  type Aggregate,
  aggregateOf,
  EMPTY_AGGREGATE,
  MAX_STEPS_PER_AGGREGATE,
  mergeAggregates,
  OTHER_STEPS,
  type SettledTask,
  withoutSteps,
} from '../../../functions/shared/telemetry/aggregate';
import { aggregateTargets } from '../../../functions/shared/telemetry/aggregate-keys';
import { keyId } from '../../../functions/shared/telemetry/aggregate-store';
import {
  FoldConflictError,
  foldPendingSlots,
  lastClosedSlot,
  SLOT_GRACE_MS,
} from '../../../functions/shared/telemetry/fold-aggregates';
import { SLOT_MS, slotOf } from '../../../functions/shared/telemetry/settled-index';
import type { TaskMetrics } from '../../../functions/shared/telemetry/task-metrics';
import { FolderCrash, InMemoryAggregateStore } from './in-memory-aggregate-store';

// 58 minutes past the hour, so the tasks' three minutes cross into the next hour.
const START = Date.parse('2026-11-27T16:58:00.000Z');
const STATUSES = ['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'];

function metricsOf(i: number): TaskMetrics {
  return {
    queueMs: 10 + (i % 7),
    executionMs: 100 * (i + 1),
    durationMs: 100 * (i + 1) + 10 + (i % 7),
    attempts: 3 + (i % 3),
    retries: i % 3,
    llm:
      i % 4 === 0
        ? {
            calls: 1,
            tokensIn: 100,
            tokensOut: 20,
            cachedTokens: 50,
            toolCalls: 0,
            latencyMs: 300,
            costUsd: 0.002,
            byModel: {
              'openai:gpt-x': {
                calls: 1,
                tokensIn: 100,
                tokensOut: 20,
                cachedTokens: 50,
                toolCalls: 0,
                latencyMs: 300,
                costUsd: 0.002,
              },
            },
          }
        : undefined,
    steps: {
      fetch: { status: 'SUCCEEDED', durationMs: 20 * (i + 1), attempts: 1 + (i % 3), retries: i % 3 },
      think: { status: i % 5 === 0 ? 'FAILED' : 'SUCCEEDED', durationMs: 30 + i, attempts: 1, retries: 0 },
      store: { status: 'SKIPPED', attempts: 0, retries: 0 },
    },
  };
}

/** 90 tasks settled every 2 s over 3 minutes, in two orgs, three workflows, some with an agent. */
const TASKS: SettledTask[] = Array.from({ length: 90 }, (_, i) => ({
  taskId: `task-${i}`,
  orgId: i % 3 === 0 ? 'org-b' : 'org-a',
  workflowId: `wf-${i % 3}`,
  ...(i % 2 === 0 && { agentId: `agent-${i % 4}` }),
  status: STATUSES[i % STATUSES.length] as string,
  settledAt: new Date(START + i * 2000).toISOString(),
  metrics: metricsOf(i),
}));
const AFTER_ALL = new Date(START + 90 * 2000 + SLOT_MS + SLOT_GRACE_MS);

/** What every item must hold: each task merged once into each of its targets, slots ignored. */
function oracle(tasks: SettledTask[]): Map<string, Aggregate> {
  const expected = new Map<string, Aggregate>();
  for (const task of tasks) {
    for (const target of aggregateTargets(task, Date.parse(task.settledAt))) {
      const add = target.withSteps ? aggregateOf(task, true) : withoutSteps(aggregateOf(task, true));
      expected.set(keyId(target), mergeAggregates(expected.get(keyId(target)) ?? EMPTY_AGGREGATE, add));
    }
  }
  return expected;
}

function storeWith(tasks: SettledTask[]): InMemoryAggregateStore {
  const store = new InMemoryAggregateStore();
  for (const task of tasks) store.addSettled(task);
  store.watermark = slotOf(START) - 1;
  return store;
}

const held = (store: InMemoryAggregateStore) =>
  new Map([...store.items.entries()].map(([id, item]) => [id, item.aggregate]));

describe('folding settled tasks into aggregates', () => {
  it('folds every closed slot into every item exactly once, and a second run adds nothing', async () => {
    const store = storeWith(TASKS);
    const report = await foldPendingSlots({ store, now: () => AFTER_ALL }, 1000);
    expect(report.tasks).toBe(90);
    expect(report.through).toBe(lastClosedSlot(AFTER_ALL.getTime()));
    expect(held(store)).toEqual(oracle(TASKS));
    const writes = store.writes;
    const again = await foldPendingSlots({ store, now: () => AFTER_ALL }, 1000);
    expect(again).toMatchObject({ slots: 0, tasks: 0, writes: 0 });
    expect(store.writes).toBe(writes);
  });

  it('writes each item once per run, not once per task', async () => {
    const store = storeWith(TASKS);
    const report = await foldPendingSlots({ store, now: () => AFTER_ALL }, 1000);
    expect(report.writes).toBe(oracle(TASKS).size);
    expect(report.writes).toBeLessThan(TASKS.length);
  });

  it('sums what the brief asks for: counts by status, exact min/max, retries, steps keyed by workflow and step', async () => {
    const store = storeWith(TASKS);
    await foldPendingSlots({ store, now: () => AFTER_ALL }, 1000);
    const total = store.items.get('METRICS#org-a#TOTAL|WF#wf-1')?.aggregate;
    const mine = TASKS.filter((task) => task.orgId === 'org-a' && task.workflowId === 'wf-1');
    expect(total?.statuses).toEqual(
      mine.reduce<Record<string, number>>((counts, task) => {
        counts[task.status] = (counts[task.status] ?? 0) + 1;
        return counts;
      }, {}),
    );
    const durations = mine.map((task) => task.metrics?.durationMs as number);
    expect(total?.duration).toMatchObject({
      count: mine.length,
      minMs: Math.min(...durations),
      maxMs: Math.max(...durations),
      sumMs: durations.reduce((a, b) => a + b, 0),
    });
    expect(total?.retries).toBe(mine.reduce((sum, task) => sum + (task.metrics?.retries ?? 0), 0));
    expect(Object.keys(total?.steps ?? {}).sort()).toEqual(['fetch', 'store', 'think']);
    expect(total?.steps?.store?.statuses).toEqual({ SKIPPED: mine.length });
    // Org items carry no steps; the hour items split at the hour.
    expect(store.items.get('METRICS#ALL#TOTAL|ORG#org-a')?.aggregate.steps).toBeUndefined();
    expect(store.items.has('METRICS#org-a#H#2026-11-27T16:00:00.000Z|WF#wf-1')).toBe(true);
    expect(store.items.has('METRICS#org-a#H#2026-11-27T17:00:00.000Z|WF#wf-1')).toBe(true);
  });

  it('leaves a slot that is still open (or within its grace) for a later run', async () => {
    const store = storeWith(TASKS);
    const lastSettled = Date.parse(TASKS.at(-1)?.settledAt as string);
    const early = new Date(lastSettled + SLOT_GRACE_MS - 1);
    await foldPendingSlots({ store, now: () => early }, 1000);
    const counted = store.items.get('METRICS#ALL#TOTAL|ORG#org-a')?.aggregate;
    const folded = TASKS.filter(
      (task) => task.orgId === 'org-a' && slotOf(Date.parse(task.settledAt)) <= (store.watermark ?? 0),
    );
    expect(Object.values(counted?.statuses ?? {}).reduce((a, b) => a + b, 0)).toBe(folded.length);
    expect(folded.length).toBeLessThan(TASKS.filter((task) => task.orgId === 'org-a').length);
    await foldPendingSlots({ store, now: () => AFTER_ALL }, 1000);
    expect(held(store)).toEqual(oracle(TASKS));
  });

  it('stays exact when two folders run at once, the loser of each write reading again', async () => {
    const store = storeWith(TASKS);
    const deps = { store, now: () => AFTER_ALL };
    await Promise.all([foldPendingSlots(deps, 1000), foldPendingSlots(deps, 1000)]);
    expect(store.conflicts).toBeGreaterThan(0);
    expect(held(store)).toEqual(oracle(TASKS));
  });

  it('stays exact when two folders at once stop at different slots', async () => {
    const store = storeWith(TASKS);
    const deps = { store, now: () => AFTER_ALL };
    await Promise.all([foldPendingSlots(deps, 4), foldPendingSlots(deps, 11), foldPendingSlots(deps, 1000)]);
    await foldPendingSlots(deps, 1000);
    expect(held(store)).toEqual(oracle(TASKS));
  });

  it.each([1, 7, 25, 40])(
    'stays exact when a folder dies after %i writes and the next run takes over',
    async (writesBeforeCrash) => {
      const store = storeWith(TASKS);
      const watermark = store.watermark;
      await expect(
        foldPendingSlots({ store: store.crashingAfter(writesBeforeCrash), now: () => AFTER_ALL }, 1000),
      ).rejects.toBeInstanceOf(FolderCrash);
      expect(store.watermark).toBe(watermark);
      await foldPendingSlots({ store, now: () => AFTER_ALL }, 1000);
      expect(held(store)).toEqual(oracle(TASKS));
    },
  );

  it('stays exact when a folder dies after its last write, before moving the watermark', async () => {
    const store = storeWith(TASKS);
    const dying = new Proxy(store, {
      get: (target, property, receiver) =>
        property === 'advanceWatermark'
          ? async () => {
              throw new FolderCrash('died before the watermark');
            }
          : Reflect.get(target, property, receiver),
    });
    await expect(foldPendingSlots({ store: dying, now: () => AFTER_ALL }, 1000)).rejects.toBeInstanceOf(
      FolderCrash,
    );
    const written = store.writes;
    expect(written).toBe(oracle(TASKS).size);
    const retry = await foldPendingSlots({ store, now: () => AFTER_ALL }, 1000);
    expect(retry.writes).toBe(0);
    expect(held(store)).toEqual(oracle(TASKS));
  });

  it('catches up in bounded rounds: maxSlots caps the slots one run reads', async () => {
    const store = storeWith(TASKS);
    const report = await foldPendingSlots({ store, now: () => AFTER_ALL }, 3);
    expect(report.slots).toBe(3);
    expect(report.pending).toBeGreaterThan(0);
    while ((await foldPendingSlots({ store, now: () => AFTER_ALL }, 3)).slots > 0);
    expect(held(store)).toEqual(oracle(TASKS));
  });

  it('gives up with a named error when an item keeps changing under it', async () => {
    const store = storeWith(TASKS.slice(0, 1));
    const stubborn = new Proxy(store, {
      get: (target, property, receiver) =>
        property === 'put' ? async () => false : Reflect.get(target, property, receiver),
    });
    await expect(foldPendingSlots({ store: stubborn, now: () => AFTER_ALL }, 1000)).rejects.toBeInstanceOf(
      FoldConflictError,
    );
  });
});

describe('workflow aggregates with many steps', () => {
  it(`keep ${MAX_STEPS_PER_AGGREGATE} steps by id and sum the rest under "${OTHER_STEPS}", losing no run`, () => {
    const stepsOf = (from: number, count: number) =>
      Object.fromEntries(
        Array.from({ length: count }, (_, i) => [
          `s${from + i}`,
          { status: 'SUCCEEDED', durationMs: 10, attempts: 1, retries: 0 },
        ]),
      );
    const task = (steps: TaskMetrics['steps']): SettledTask => ({
      ...(TASKS[0] as SettledTask),
      metrics: { ...(TASKS[0]?.metrics as TaskMetrics), steps },
    });
    const first = aggregateOf(task(stepsOf(0, 150)), true);
    expect(Object.keys(first.steps ?? {})).toHaveLength(MAX_STEPS_PER_AGGREGATE + 1);
    expect(first.steps?.[OTHER_STEPS]?.statuses).toEqual({ SUCCEEDED: 50 });
    const both = mergeAggregates(first, aggregateOf(task(stepsOf(140, 20)), true));
    expect(Object.keys(both.steps ?? {})).toHaveLength(MAX_STEPS_PER_AGGREGATE + 1);
    expect(both.steps?.[OTHER_STEPS]?.statuses).toEqual({ SUCCEEDED: 70 });
    expect(both.steps?.s0?.statuses).toEqual({ SUCCEEDED: 1 });
  });
});
