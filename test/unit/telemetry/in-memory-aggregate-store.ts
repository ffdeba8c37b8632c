// An in-memory AggregateStore with the same conditional-write semantics as the DynamoDB one, plus hooks
// to make folders interleave (every call yields to the event loop) or die after some writes.
import type { SettledTask } from '../../../functions/shared/telemetry/aggregate';
import type { ItemKey } from '../../../functions/shared/telemetry/aggregate-keys';
import {
  type AggregateRow,
  type AggregateStore,
  keyId,
  type StoredAggregate,
} from '../../../functions/shared/telemetry/aggregate-store';
import { settledIndexKeys } from '../../../functions/shared/telemetry/settled-index';

export class FolderCrash extends Error {
  override name = 'FolderCrash';
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

export class InMemoryAggregateStore implements AggregateStore {
  readonly items = new Map<string, StoredAggregate & { expiresAt?: number }>();
  private readonly settled = new Map<string, SettledTask[]>();
  watermark: number | undefined;
  writes = 0;
  conflicts = 0;

  addSettled(task: SettledTask): void {
    const { gsi13pk } = settledIndexKeys(task.taskId, Date.parse(task.settledAt));
    this.settled.set(gsi13pk, [...(this.settled.get(gsi13pk) ?? []), task]);
  }

  async getWatermark(): Promise<number | undefined> {
    await tick();
    return this.watermark;
  }

  async advanceWatermark(slot: number): Promise<boolean> {
    await tick();
    if (this.watermark !== undefined && this.watermark >= slot) return false;
    this.watermark = slot;
    return true;
  }

  async settledTasks(slot: number, shard: number): Promise<SettledTask[]> {
    await tick();
    return [...(this.settled.get(`SETTLED#${slot}#${shard}`) ?? [])];
  }

  async get(key: ItemKey): Promise<StoredAggregate | undefined> {
    await tick();
    return structuredClone(this.items.get(keyId(key)));
  }

  async put(
    key: ItemKey,
    value: StoredAggregate,
    expectedLastSlot: number | undefined,
    expiresAt?: number,
  ): Promise<boolean> {
    await tick();
    const current = this.items.get(keyId(key));
    if (current?.lastSlot !== expectedLastSlot) {
      this.conflicts++;
      return false;
    }
    this.writes++;
    this.items.set(keyId(key), { ...structuredClone(value), expiresAt });
    return true;
  }

  async getMany(keys: readonly ItemKey[]): Promise<Map<string, StoredAggregate>> {
    const found = new Map<string, StoredAggregate>();
    for (const key of keys) {
      const item = this.items.get(keyId(key));
      if (item) found.set(keyId(key), structuredClone(item));
    }
    return found;
  }

  async query(pk: string, prefix: string): Promise<AggregateRow[]> {
    return [...this.items.entries()]
      .filter(([id]) => id.startsWith(`${pk}|${prefix}`))
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([id, item]) => ({ sk: id.slice(pk.length + 1), ...structuredClone(item) }));
  }

  /** A view of this store whose puts throw once `writesBeforeCrash` writes have succeeded. */
  crashingAfter(writesBeforeCrash: number): AggregateStore {
    let left = writesBeforeCrash;
    return new Proxy(this, {
      get: (target, property, receiver) => {
        if (property !== 'put') return Reflect.get(target, property, receiver);
        return async (...args: Parameters<AggregateStore['put']>) => {
          if (left <= 0) throw new FolderCrash('the folder died');
          const written = await target.put(...args);
          if (written) left--;
          return written;
        };
      },
    });
  }
}
