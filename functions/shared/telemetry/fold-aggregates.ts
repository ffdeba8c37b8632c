// The aggregate folder: adds the tasks of each closed 10-second slot of the settled index to the
// aggregate items, exactly once, with one write per item per run (not per task).
//
// Exactly once without transactions: each item records the last slot folded into it (`lastSlot`). A run
// reads the slots after the watermark, sums their tasks per item and per slot, and for each item adds the
// slots after the item's own lastSlot, writing only if lastSlot is still what it read (a conditional
// write; on a conflict it reads again). Only then does the watermark move. So two folders running at once
// never add a slot twice (the loser re-reads and finds it folded), and a folder that dies midway leaves
// the watermark behind: the next run redoes the slot, and items already written skip it by lastSlot.
import { type Aggregate, aggregateOf, EMPTY_AGGREGATE, mergeAggregates, withoutSteps } from './aggregate';
import { type AggregateTarget, aggregateTargets } from './aggregate-keys';
import { type AggregateStore, keyId } from './aggregate-store';
import { SETTLED_SHARDS, SLOT_MS, slotOf } from './settled-index';

/**
 * A slot is folded once it ended this long ago: the settle write stamps settledAt before it lands, and
 * the index is eventually consistent. A task whose settle write lands later than this is not counted.
 */
export const SLOT_GRACE_MS = 5_000;
/** Where the first fold starts when no watermark exists yet: this many slots back (5 minutes). */
export const INITIAL_LOOKBACK_SLOTS = 30;
/** Conflicting writes one item may meet in a run before the run gives up (the next run resumes). */
const MAX_CONFLICTS = 8;
/** Items written at once. */
const WRITE_CONCURRENCY = 8;

export class FoldConflictError extends Error {
  override name = 'FoldConflictError';
}

export interface FoldDeps {
  readonly store: AggregateStore;
  readonly now: () => Date;
}

export interface FoldReport {
  /** Slots folded by this run. */
  readonly slots: number;
  readonly tasks: number;
  readonly writes: number;
  /** Every slot up to this one is folded (the watermark after the run). */
  readonly through: number;
  /** Slots closed but still waiting (the run stopped at its budget). */
  readonly pending: number;
}

/** The last slot that is closed at `nowMs`. */
export const lastClosedSlot = (nowMs: number) => slotOf(nowMs - SLOT_GRACE_MS) - 1;

interface Pending {
  readonly target: AggregateTarget;
  readonly bySlot: Map<number, Aggregate>;
}

/** Folds up to `maxSlots` closed slots after the watermark. */
export async function foldPendingSlots(deps: FoldDeps, maxSlots: number): Promise<FoldReport> {
  const closed = lastClosedSlot(deps.now().getTime());
  const watermark = (await deps.store.getWatermark()) ?? closed - INITIAL_LOOKBACK_SLOTS;
  if (watermark >= closed) return { slots: 0, tasks: 0, writes: 0, through: watermark, pending: 0 };
  const end = Math.min(closed, watermark + maxSlots);

  const pending = new Map<string, Pending>();
  let tasks = 0;
  for (let slot = watermark + 1; slot <= end; slot++) {
    const shards = await Promise.all(
      Array.from({ length: SETTLED_SHARDS }, (_, shard) => deps.store.settledTasks(slot, shard)),
    );
    for (const task of shards.flat()) {
      tasks++;
      const settledAtMs = Date.parse(task.settledAt);
      const at = Number.isNaN(settledAtMs) ? slot * SLOT_MS : settledAtMs;
      const full = aggregateOf(task, true);
      const lean = withoutSteps(full);
      for (const target of aggregateTargets(task, at)) {
        const id = keyId(target);
        let entry = pending.get(id);
        if (!entry) {
          entry = { target, bySlot: new Map() };
          pending.set(id, entry);
        }
        const add = target.withSteps ? full : lean;
        entry.bySlot.set(slot, mergeAggregates(entry.bySlot.get(slot) ?? EMPTY_AGGREGATE, add));
      }
    }
  }

  let writes = 0;
  const entries = [...pending.values()];
  await Promise.all(
    Array.from({ length: WRITE_CONCURRENCY }, async () => {
      for (let entry = entries.pop(); entry; entry = entries.pop()) {
        if (await applyToItem(deps.store, entry, end)) writes++;
      }
    }),
  );
  await deps.store.advanceWatermark(end);
  return { slots: end - watermark, tasks, writes, through: end, pending: closed - end };
}

/** Adds to one item the slots it has not folded yet; true when it wrote. */
async function applyToItem(store: AggregateStore, entry: Pending, end: number): Promise<boolean> {
  for (let conflicts = 0; conflicts < MAX_CONFLICTS; conflicts++) {
    const stored = await store.get(entry.target);
    const after = stored?.lastSlot ?? Number.NEGATIVE_INFINITY;
    const slots = [...entry.bySlot.keys()].filter((slot) => slot > after).sort((a, b) => a - b);
    if (slots.length === 0) return false;
    let aggregate = stored?.aggregate ?? EMPTY_AGGREGATE;
    for (const slot of slots)
      aggregate = mergeAggregates(aggregate, entry.bySlot.get(slot) ?? EMPTY_AGGREGATE);
    const written = await store.put(
      entry.target,
      { aggregate, lastSlot: Math.max(end, after), firstSlot: stored?.firstSlot ?? (slots[0] as number) },
      stored?.lastSlot,
      entry.target.expiresAt,
    );
    if (written) return true;
  }
  throw new FoldConflictError(`${entry.target.pk} ${entry.target.sk} kept changing under the folder`);
}

/** Slots one scheduled run folds per round, and the time it allows itself (its Lambda times out at 120 s). */
const SCHEDULED_ROUND_SLOTS = 60;
const SCHEDULED_BUDGET_MS = 60_000;

/** Folds round after round until nothing closed is pending or the time budget is spent. */
export async function foldUntilCaughtUp(deps: FoldDeps): Promise<FoldReport> {
  const started = Date.now();
  let total: FoldReport = { slots: 0, tasks: 0, writes: 0, through: 0, pending: 0 };
  do {
    const round = await foldPendingSlots(deps, SCHEDULED_ROUND_SLOTS);
    total = {
      slots: total.slots + round.slots,
      tasks: total.tasks + round.tasks,
      writes: total.writes + round.writes,
      through: round.through,
      pending: round.pending,
    };
  } while (total.pending > 0 && Date.now() - started < SCHEDULED_BUDGET_MS);
  return total;
}
