// The local DynamoDB's store: in memory, persisted as a snapshot and a log of changes, so what was written
// is there after a restart or a crash, in DynamoDB's key order, and a start reads a folded snapshot.
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError } from '../../../functions/shared/config';
import { LEVELDB_ASIDE, PersistedMemoryLevel } from '../../../local/dynamodb-store';

let folder: string;
beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'stepwise-dynamodb-store-'));
});
afterEach(() => rmSync(folder, { recursive: true, force: true }));

async function entries(db: PersistedMemoryLevel): Promise<[string, unknown][]> {
  return db.iterator().all();
}

describe('PersistedMemoryLevel', () => {
  it('keeps puts, deletes and batches across a close and an open', async () => {
    const db = await PersistedMemoryLevel.open(folder);
    await db.put('a', { n: 1 });
    await db.put('b', { n: 2 });
    await db.del('a');
    await db.batch([
      { type: 'put', key: 'c', value: { n: 3 } },
      { type: 'put', key: 'b', value: { n: 4 } },
    ]);
    await db.close();
    const again = await PersistedMemoryLevel.open(folder);
    expect(await entries(again)).toEqual([
      ['b', { n: 4 }],
      ['c', { n: 3 }],
    ]);
    await again.close();
  });

  it('has every acknowledged write on disk before the process could die (no close)', async () => {
    const db = await PersistedMemoryLevel.open(folder);
    await db.put('k', { v: 'kept' });
    // A kill -9 leaves no chance to close: what is on disk now is what a restart reads.
    const copy = mkdtempSync(join(tmpdir(), 'stepwise-dynamodb-store-copy-'));
    try {
      for (const file of ['snapshot.jsonl', 'changes.jsonl']) {
        if (existsSync(join(folder, file))) writeFileSync(join(copy, file), readFileSync(join(folder, file)));
      }
      const restarted = await PersistedMemoryLevel.open(copy);
      expect(await restarted.get('k')).toEqual({ v: 'kept' });
      await restarted.close();
    } finally {
      rmSync(copy, { recursive: true, force: true });
      await db.close();
    }
  });

  it('orders keys by their UTF-8 bytes, as DynamoDB does (not by UTF-16 code units)', async () => {
    const db = await PersistedMemoryLevel.open(folder);
    // U+FF5E sorts before U+1F600 in UTF-8; as JS strings the emoji's surrogates (U+D83D) come first.
    await db.put('k\u{1F600}', 1);
    await db.put('k\uFF5E', 2);
    expect((await db.keys().all()).map((key) => key.codePointAt(1)?.toString(16))).toEqual(['ff5e', '1f600']);
    await db.close();
  });

  it('ignores a last write torn by a crash, which was never acknowledged', async () => {
    const db = await PersistedMemoryLevel.open(folder);
    await db.put('whole', 1);
    await db.close();
    appendFileSync(join(folder, 'changes.jsonl'), '[["p","torn","');
    const again = await PersistedMemoryLevel.open(folder);
    expect(await entries(again)).toEqual([['whole', 1]]);
    await again.close();
  });

  it('folds the log into the snapshot at open, and replays a log a crashed fold set aside', async () => {
    const db = await PersistedMemoryLevel.open(folder);
    await db.put('a', 1);
    await db.close();
    const reopened = await PersistedMemoryLevel.open(folder);
    expect(readFileSync(join(folder, 'changes.jsonl'), 'utf8')).toBe('');
    expect(readFileSync(join(folder, 'snapshot.jsonl'), 'utf8')).toContain('"a"');
    await reopened.close();
    // Nothing logged since: the next open leaves the snapshot as it is.
    const folded = statSync(join(folder, 'snapshot.jsonl')).mtimeMs;
    await new Promise((resolve) => setTimeout(resolve, 20));
    await (await PersistedMemoryLevel.open(folder)).close();
    expect(statSync(join(folder, 'snapshot.jsonl')).mtimeMs).toBe(folded);
    // A fold that died after setting its log aside, before its snapshot replaced the old one.
    writeFileSync(join(folder, 'changes.folded.jsonl'), '[["p","b","2"]]\n');
    writeFileSync(join(folder, 'changes.jsonl'), '[["d","a"]]\n');
    const recovered = await PersistedMemoryLevel.open(folder);
    expect(await entries(recovered)).toEqual([['b', 2]]);
    expect(existsSync(join(folder, 'changes.folded.jsonl'))).toBe(false);
    await recovered.close();
  });

  it('folds a log grown past its bound while writes go on, losing none of them', async () => {
    const db = await PersistedMemoryLevel.open(folder, 2_000);
    const writes = Array.from({ length: 300 }, (_, i) => db.put(`k${String(i).padStart(3, '0')}`, { i }));
    await Promise.all(writes);
    await db.close();
    // Folded at least once on the way (the log stays under what 300 writes take).
    expect(readFileSync(join(folder, 'changes.jsonl'), 'utf8').length).toBeLessThan(300 * 20);
    const again = await PersistedMemoryLevel.open(folder);
    expect(await again.keys().all()).toHaveLength(300);
    expect(await again.get('k299')).toEqual({ i: 299 });
    await again.close();
  });

  it('fails a write whose line cannot be logged, and leaves it unapplied', async () => {
    const db = await PersistedMemoryLevel.open(folder);
    await db.put('kept', 1);
    // The log's descriptor closed underneath the store (as a full disk or a lost volume would fail it).
    const fds = readdirSync('/proc/self/fd');
    const log = fds.find((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === join(folder, 'changes.jsonl');
      } catch {
        return false;
      }
    });
    expect(log).toBeDefined();
    closeSync(Number(log));
    await expect(db.put('lost', 2)).rejects.toThrow();
    expect(await db.get('lost')).toBeUndefined();
    expect(await db.get('kept')).toBe(1);
  });

  it('keeps every write when a fold fails, and folds them later', async () => {
    const db = await PersistedMemoryLevel.open(folder, 500);
    // The fold's new snapshot cannot be created while a folder holds its name.
    mkdirSync(join(folder, 'snapshot.jsonl.next'));
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    for (let i = 0; i < 60; i++) await db.put(`k${String(i).padStart(2, '0')}`, { i });
    await expect.poll(() => errors.mock.calls.length).toBeGreaterThan(0);
    errors.mockRestore();
    rmSync(join(folder, 'snapshot.jsonl.next'), { recursive: true });
    for (let i = 60; i < 80; i++) await db.put(`k${String(i).padStart(2, '0')}`, { i });
    await db.close();
    const again = await PersistedMemoryLevel.open(folder);
    expect(await again.keys().all()).toHaveLength(80);
    expect(existsSync(join(folder, 'changes.folded.jsonl'))).toBe(false);
    await again.close();
  });

  it('takes over the LevelDB of an earlier version: its entries, the same keys and values, then its files moved aside', async () => {
    const leveldb = new ClassicLevel<string, string>(folder);
    await leveldb.batch([
      { type: 'put', key: 'k1', value: JSON.stringify({ n: 1 }) },
      { type: 'put', key: 'k2', value: JSON.stringify({ text: 'é, 🙂' }) },
    ]);
    await leveldb.close();
    const db = await PersistedMemoryLevel.open(folder);
    expect(await db.iterator().all()).toEqual([
      ['k1', { n: 1 }],
      ['k2', { text: 'é, 🙂' }],
    ]);
    await db.put('k3', { n: 3 });
    await db.close();
    expect(readdirSync(folder).sort()).toEqual(['changes.jsonl', LEVELDB_ASIDE, 'snapshot.jsonl']);
    expect(readdirSync(join(folder, LEVELDB_ASIDE))).toContain('CURRENT');
    const again = await PersistedMemoryLevel.open(folder);
    expect(await again.keys().all()).toEqual(['k1', 'k2', 'k3']);
    await again.close();
  });

  it('finishes moving aside the files of a conversion that stopped after writing its snapshot', async () => {
    const leveldb = new ClassicLevel<string, string>(folder);
    await leveldb.put('k1', JSON.stringify({ n: 1 }));
    await leveldb.close();
    writeFileSync(join(folder, 'snapshot.jsonl'), `${JSON.stringify(['k1', JSON.stringify({ n: 1 })])}\n`);
    const db = await PersistedMemoryLevel.open(folder);
    expect(await db.iterator().all()).toEqual([['k1', { n: 1 }]]);
    await db.close();
    expect(readdirSync(folder).filter((name) => name !== LEVELDB_ASIDE && !name.endsWith('.jsonl'))).toEqual(
      [],
    );
    expect(readdirSync(join(folder, LEVELDB_ASIDE))).toContain('CURRENT');
  });

  it('refuses, saying what to do, a LevelDB of an earlier version that cannot be read', async () => {
    writeFileSync(join(folder, 'CURRENT'), 'MANIFEST-000001\n');
    const opened = PersistedMemoryLevel.open(folder);
    await expect(opened).rejects.toBeInstanceOf(ConfigurationError);
    await expect(opened).rejects.toThrow(/earlier version \(LevelDB\).*move STEPWISE_DATA_DIR/);
    expect(existsSync(join(folder, 'snapshot.jsonl'))).toBe(false);
  });
});
