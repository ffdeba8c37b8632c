// The data folder lock under concurrent starts: of several starts that all find a stale lock, exactly one
// takes it over; the others see it held, and no lock is lost to another start's removal.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DataDirInUseError,
  LOCK_FILE,
  lockDataDir,
  markDataDirStopping,
} from '../../../local/startup-conflicts';

let dataDir: string;
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** The pid of a process that has exited. */
const gonePid = () => spawnSync(process.execPath, ['-e', '']).pid;

describe('lockDataDir', () => {
  it('lets exactly one of several concurrent starts take over a stale lock', async () => {
    const stale = gonePid();
    for (let round = 0; round < 20; round++) {
      dataDir = await mkdtemp(join(tmpdir(), 'stepwise-lock-'));
      await writeFile(join(dataDir, LOCK_FILE), `${stale}\n`);
      // Starts 0 to 2 ms apart, so that one's removal of the stale lock can fall after
      // another's claim (the interleaving that let two starts hold one folder).
      const results = await Promise.allSettled(
        [0, 1, 2, 3].map(async (i) => {
          await setTimeout((i * round) % 3);
          return lockDataDir(dataDir);
        }),
      );
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      for (const lost of results.filter((r) => r.status === 'rejected')) {
        expect(lost.reason).toBeInstanceOf(DataDirInUseError);
        expect((lost.reason as DataDirInUseError).holderPid).toBe(process.pid);
      }
      expect(await readFile(join(dataDir, LOCK_FILE), 'utf8')).toBe(`${process.pid}\n`);
      await (won[0] as PromiseFulfilledResult<() => Promise<void>>).value();
      // Released, and nothing of the claims or takeovers is left behind.
      expect(await readdir(dataDir)).toEqual([]);
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses a folder whose lock is held by a running process, and leaves that lock alone', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'stepwise-lock-'));
    const release = await lockDataDir(dataDir);
    await expect(lockDataDir(dataDir)).rejects.toMatchObject({
      name: 'DataDirInUseError',
      holderPid: process.pid,
    });
    expect(await readFile(join(dataDir, LOCK_FILE), 'utf8')).toBe(`${process.pid}\n`);
    await release();
    const again = await lockDataDir(dataDir);
    await again();
  });

  it('takes over a lock that holds no pid', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'stepwise-lock-'));
    await writeFile(join(dataDir, LOCK_FILE), '');
    const release = await lockDataDir(dataDir);
    expect(await readFile(join(dataDir, LOCK_FILE), 'utf8')).toBe(`${process.pid}\n`);
    await release();
  });

  it('waits for a stack that is stopping to let go of the folder, where it refused at once', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'stepwise-lock-'));
    const release = await lockDataDir(dataDir);
    await markDataDirStopping(dataDir);
    let taken = false;
    const next = lockDataDir(dataDir).then((again) => {
      taken = true;
      return again;
    });
    await setTimeout(300);
    expect(taken).toBe(false);
    // The stopping stack ends: its lock (and its stopping mark) go, and the waiting start takes the folder.
    await release();
    const again = await next;
    expect(await readFile(join(dataDir, LOCK_FILE), 'utf8')).toBe(`${process.pid}\n`);
    await again();
    expect(await readdir(dataDir)).toEqual([]);
  });
});
