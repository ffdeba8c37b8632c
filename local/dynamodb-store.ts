// Where the local DynamoDB (dynalite) keeps its data: in memory (memory-level, a sorted tree), persisted
// as a snapshot plus an append-only log of changes in the data folder. Every write is appended to the log
// with one synchronous write before it is applied, so what a client was told is written survives a crash
// of the process (kill -9) as it did with LevelDB; there is no fsync, as there was none with LevelDB. At
// open the snapshot and the log are replayed, and a log that holds anything is folded into a new
// snapshot; a running store folds its log again once it is over FOLD_AFTER_BYTES and larger than the
// snapshot, so a start reads about as much as the table holds.
// Why not LevelDB (classic-level): each of its operations is a job on libuv's thread pool, and the handoffs
// (futex waits and wakes) cost more CPU than the operation; a stack running tasks spent about a third of
// its CPU there. Sizes stay small enough for memory: the local stack is for development and tests.
import {
  appendFileSync,
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { MemoryLevel } from 'memory-level';
import { ConfigurationError } from '../functions/shared/config';

const SNAPSHOT = 'snapshot.jsonl';
const CHANGES = 'changes.jsonl';
/** The log a fold set aside: replayed after the snapshot and before CHANGES until the fold completes. */
const FOLDED_CHANGES = 'changes.folded.jsonl';
/** The log is folded into a new snapshot once it is larger than the snapshot and at least this. */
export const FOLD_AFTER_BYTES = 64 * 1024 * 1024;

type Change = ['p', string, string] | ['d', string];
type Operation = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

/** memory-level's implementation methods, which its type declarations leave out. */
interface Implementation {
  _put(key: Buffer, value: Buffer, options: object): Promise<void>;
  _del(key: Buffer, options: object): Promise<void>;
  _batch(operations: Operation[], options: object): Promise<void>;
}
const memory = MemoryLevel.prototype as unknown as Implementation;

/** Where a converted LevelDB's files are moved (the user may delete them once the stack runs). */
export const LEVELDB_ASIDE = 'leveldb.old';

/**
 * Turns the LevelDB an earlier version kept here (before this store) into the snapshot: the same keys and
 * values (dynalite's), so tasks, keys and settings carry over. The snapshot is complete before the LevelDB
 * files move aside to LEVELDB_ASIDE (moveLevelDbAside): a stop halfway leaves either the LevelDB to
 * convert again or the snapshot to load and the files to move.
 */
async function convertLevelDb(folder: string): Promise<void> {
  const { ClassicLevel } = await import('classic-level');
  const leveldb = new ClassicLevel<Buffer, Buffer>(folder, {
    keyEncoding: 'buffer',
    valueEncoding: 'buffer',
  });
  const converting = join(folder, `${SNAPSHOT}.leveldb`);
  try {
    await leveldb.open({ createIfMissing: false });
  } catch (error) {
    throw new ConfigurationError(
      `${folder} holds a local DynamoDB of an earlier version (LevelDB) that could not be read (${(error as Error).message}): start with a fresh data folder (move STEPWISE_DATA_DIR, default .stepwise, aside)`,
    );
  }
  // A write that fails (a full disk) is thrown as it is: the LevelDB is still whole, to convert again.
  const out = openSync(converting, 'w', 0o600);
  try {
    let batch = '';
    for await (const [key, value] of leveldb.iterator()) {
      batch += `${JSON.stringify([key.toString(), value.toString()])}\n`;
      if (batch.length > 1 << 20) {
        writeSync(out, batch);
        batch = '';
      }
    }
    writeSync(out, batch);
  } finally {
    closeSync(out);
    await leveldb.close();
  }
  renameSync(converting, join(folder, SNAPSHOT));
}

/** Moves what a converted LevelDB left in the folder to LEVELDB_ASIDE (the store's own files stay). */
function moveLevelDbAside(folder: string): void {
  mkdirSync(join(folder, LEVELDB_ASIDE), { recursive: true });
  for (const name of readdirSync(folder)) {
    const own = name.startsWith(SNAPSHOT) || [CHANGES, FOLDED_CHANGES, LEVELDB_ASIDE].includes(name);
    if (!own) renameSync(join(folder, name), join(folder, LEVELDB_ASIDE, name));
  }
}

export class PersistedMemoryLevel extends MemoryLevel<string, unknown> {
  #changes: number | undefined;
  #changesBytes = 0;
  #snapshotBytes = 0;
  /** A fold writing its snapshot: the next one waits for it. */
  #folding: Promise<void> | undefined;

  private constructor(
    private readonly folder: string,
    private readonly foldAfterBytes: number,
  ) {
    // Buffers compare bytewise, as LevelDB and DynamoDB order keys (UTF-8), which JS strings do not.
    super({ valueEncoding: 'json', storeEncoding: 'buffer' });
  }

  /** The store of `folder`, its snapshot and logs loaded and folded. */
  static async open(folder: string, foldAfterBytes = FOLD_AFTER_BYTES): Promise<PersistedMemoryLevel> {
    if (existsSync(join(folder, 'CURRENT'))) {
      // A LevelDB beside no snapshot is converted; beside one, a conversion stopped while moving its files.
      if (!existsSync(join(folder, SNAPSHOT))) await convertLevelDb(folder);
      moveLevelDbAside(folder);
    }
    const db = new PersistedMemoryLevel(folder, foldAfterBytes);
    await db.open();
    await db.load();
    return db;
  }

  async _put(key: Buffer, value: Buffer, options: object): Promise<void> {
    this.append([['p', key.toString(), value.toString()]]);
    await memory._put.call(this, key, value, options);
    this.foldWhenDue();
  }

  async _del(key: Buffer, options: object): Promise<void> {
    this.append([['d', key.toString()]]);
    await memory._del.call(this, key, options);
    this.foldWhenDue();
  }

  async _batch(operations: Operation[], options: object): Promise<void> {
    this.append(
      operations.map(
        (op): Change =>
          op.type === 'put' ? ['p', op.key.toString(), op.value.toString()] : ['d', op.key.toString()],
      ),
    );
    await memory._batch.call(this, operations, options);
    this.foldWhenDue();
  }

  async _close(): Promise<void> {
    await this.#folding;
    if (this.#changes !== undefined) closeSync(this.#changes);
    this.#changes = undefined;
  }

  /** One line per write (a batch is one line, so a torn last line loses one whole write). */
  private append(changes: Change[]): void {
    if (this.#changes === undefined) return;
    this.#changesBytes += writeSync(this.#changes, `${JSON.stringify(changes)}\n`);
  }

  /** After a write is applied (the fold's snapshot must hold every write of the log it sets aside). */
  private foldWhenDue(): void {
    if (
      !this.#folding &&
      this.#changesBytes > this.foldAfterBytes &&
      this.#changesBytes > this.#snapshotBytes
    ) {
      this.#folding = this.fold()
        .catch((error: unknown) => {
          // Nothing is lost: the logs stay, and the next fold (or start) takes them.
          console.error('[dynamodb] could not fold the log of changes into a snapshot', error);
        })
        .finally(() => {
          this.#folding = undefined;
        });
    }
  }

  private async load(): Promise<void> {
    const operations: Operation[] = [];
    for (const line of lines(this.path(SNAPSHOT))) {
      const [key, value] = JSON.parse(line) as [string, string];
      operations.push({ type: 'put', key: Buffer.from(key), value: Buffer.from(value) });
    }
    for (const log of [FOLDED_CHANGES, CHANGES]) {
      for (const line of lines(this.path(log))) {
        let changes: Change[];
        try {
          changes = JSON.parse(line) as Change[];
        } catch {
          break; // A write torn by a crash: never acknowledged.
        }
        for (const change of changes) {
          operations.push(
            change[0] === 'p'
              ? { type: 'put', key: Buffer.from(change[1]), value: Buffer.from(change[2]) }
              : { type: 'del', key: Buffer.from(change[1]) },
          );
        }
      }
    }
    // Replayed in order through memory-level itself, before the log is open: nothing is logged again.
    for (let i = 0; i < operations.length; i += 10_000) {
      await memory._batch.call(this, operations.slice(i, i + 10_000), {});
    }
    this.#changes = openSync(this.path(CHANGES), 'a', 0o600);
    this.#changesBytes = fstatSync(this.#changes).size;
    // Nothing written since the last fold: the snapshot stands as it is.
    if (this.#changesBytes > 0 || existsSync(this.path(FOLDED_CHANGES)) || !existsSync(this.path(SNAPSHOT))) {
      await this.fold();
    } else {
      this.#snapshotBytes = statSync(this.path(SNAPSHOT)).size;
    }
  }

  /**
   * Writes the tree as a new snapshot. The log is set aside first (FOLDED_CHANGES) and a new one started,
   * in the same synchronous step as the iterator takes the tree (memory-level's tree is immutable: the
   * iterator reads it as it was), so writes made while the snapshot is written go to the new log; the
   * set-aside log is removed once the snapshot is in place. A crash in between replays both.
   */
  private async fold(): Promise<void> {
    if (this.#changes === undefined) return;
    if (this.#changesBytes > 0) {
      closeSync(this.#changes);
      if (existsSync(this.path(FOLDED_CHANGES))) {
        // Set aside by a fold that did not complete (or by a crash before a start replayed it): still
        // needed until a snapshot holds it, so the new changes go after it.
        appendFileSync(this.path(FOLDED_CHANGES), readFileSync(this.path(CHANGES)));
        rmSync(this.path(CHANGES));
      } else {
        renameSync(this.path(CHANGES), this.path(FOLDED_CHANGES));
      }
      this.#changes = openSync(this.path(CHANGES), 'a', 0o600);
      this.#changesBytes = 0;
    }
    const iterator = this.iterator({ keyEncoding: 'buffer', valueEncoding: 'buffer' });
    const next = this.path(`${SNAPSHOT}.next`);
    const fd = openSync(next, 'w', 0o600);
    try {
      for (;;) {
        const entries = await iterator.nextv(1000);
        if (entries.length === 0) break;
        writeSync(
          fd,
          entries.map(([key, value]) => `${JSON.stringify([String(key), String(value)])}\n`).join(''),
        );
      }
    } finally {
      closeSync(fd);
      await iterator.close();
    }
    renameSync(next, this.path(SNAPSHOT));
    rmSync(this.path(FOLDED_CHANGES), { force: true });
    this.#snapshotBytes = statSync(this.path(SNAPSHOT)).size;
  }

  private path(file: string): string {
    return join(this.folder, file);
  }
}

/** The lines of a file (none when it does not exist), without the empty one a trailing newline leaves. */
function lines(path: string): string[] {
  if (!existsSync(path)) return [];
  const all = readFileSync(path, 'utf8').split('\n');
  if (all.at(-1) === '') all.pop();
  return all;
}
