// What keeps `npm start` from starting that the user can fix: a port another process listens on, or a data
// folder another running stack holds. start.ts prints each as one line and exits with 1.
import { randomUUID } from 'node:crypto';
import {
  type FileHandle,
  link,
  mkdir,
  open,
  readFile,
  rm,
  rmdir,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { portIfFree } from './listen';

/** The local stack's listeners whose port can be chosen (each has its own STEPWISE_*_PORT). */
export type LocalService = 'api' | 'dynamodb' | 'messaging' | 'stepfunctions';

export class StartupConflictError extends Error {
  override name = 'StartupConflictError';
}

export class PortInUseError extends StartupConflictError {
  override name = 'PortInUseError';
  constructor(
    readonly service: LocalService,
    readonly port: number,
    options?: ErrorOptions,
  ) {
    super(`port ${port} (${service}) is already in use`, options);
  }
}

/** Refuses the first of these set ports that something listens on (0 or unset: any port will do). */
export async function refuseTakenPorts(
  ports: Partial<Record<LocalService, number>>,
  host: string,
): Promise<void> {
  for (const [service, port] of Object.entries(ports)) {
    if (port && (await portIfFree(port, host)) !== port)
      throw new PortInUseError(service as LocalService, port);
  }
}

export class DataDirInUseError extends StartupConflictError {
  override name = 'DataDirInUseError';
  constructor(
    readonly dataDir: string,
    readonly holderPid: number,
  ) {
    super(`data folder ${dataDir} is held by another running stack (pid ${holderPid})`);
  }
}

/** Runs `start` (which binds `port`), turning "address in use" into a {@link PortInUseError}. */
export async function bindingPort<T>(
  service: LocalService,
  port: number,
  start: () => Promise<T>,
): Promise<T> {
  try {
    return await start();
  } catch (error) {
    if ((error as NodeJS.ErrnoException)?.code === 'EADDRINUSE') {
      throw new PortInUseError(service, port, { cause: error });
    }
    throw error;
  }
}

export const LOCK_FILE = 'stack.lock';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock file as one open saw it: the holder's pid and the file's identity. */
interface LockState {
  readonly pid: number | undefined;
  readonly ino: bigint;
}

async function readLock(file: string): Promise<LockState | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const { ino } = await handle.stat({ bigint: true });
    const pid = Number.parseInt(await handle.readFile('utf8'), 10);
    return { pid: Number.isInteger(pid) && pid > 0 ? pid : undefined, ino };
  } finally {
    await handle.close();
  }
}

/** How long a start waits for another start's takeover of the same stale lock to finish. */
const TAKEOVER_WAIT_MS = 2_000;

/**
 * Written by a stack as it begins to stop (its pid), removed with its lock. A start that finds the lock
 * held by a stack that is stopping waits for it (up to STOPPING_WAIT_MS) instead of failing: `npm start`
 * under a supervisor is restarted as soon as npm exits, which is before the stack's own stop has ended
 * (it lets the Task calls under way finish, up to 10 s).
 */
export const STOPPING_FILE = 'stack.stopping';
const STOPPING_WAIT_MS = 20_000;

/** Says this process's stack is stopping: a start on the same folder waits for it rather than fail. */
export async function markDataDirStopping(dataDir: string): Promise<void> {
  await writeFile(join(dataDir, STOPPING_FILE), `${process.pid}\n`).catch(() => undefined);
}

async function stoppingPid(dataDir: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await readFile(join(dataDir, STOPPING_FILE), 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes the stale lock `stale` if it is still the one at `file`. Starts that all found it stale race
 * for a guard directory named after its inode (mkdir is atomic), so only one removes it; without the
 * guard, a second start's remove could delete the lock the first had just claimed. Resolves with false
 * when another start holds the guard.
 */
async function removeStaleLock(file: string, stale: LockState): Promise<boolean> {
  const guard = `${file}.takeover-${stale.ino}`;
  try {
    await mkdir(guard);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    // Only the guard's holder removes this inode, so it cannot change between this read and the unlink.
    const current = await readLock(file);
    if (current?.ino === stale.ino && current.pid === stale.pid) await unlink(file);
    return true;
  } finally {
    await rmdir(guard);
  }
}

/**
 * Holds `<dataDir>/stack.lock` (the holder's pid) for as long as the stack runs: dynalite, fauxqs and the
 * Step Functions records of two stacks in one folder would overwrite each other. A lock whose process is
 * gone (a stack killed with -9 or crashed) is stale and taken over; one held by a stack that is stopping
 * (STOPPING_FILE) is waited for. Resolves with the release function.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const file = join(dataDir, LOCK_FILE);
  // The claim is a hard link to a complete file: it fails when a lock exists, and no start ever reads a
  // lock that is created but not yet written.
  const claim = join(dataDir, `${LOCK_FILE}.${process.pid}.${randomUUID()}`);
  await writeFile(claim, `${process.pid}\n`, { flag: 'wx' });
  try {
    const deadline = Date.now() + TAKEOVER_WAIT_MS;
    const stoppingDeadline = Date.now() + STOPPING_WAIT_MS;
    // Another start is taking the stale lock over: look again soon, then less and less often.
    for (let pause = 5; ; pause = Math.min(pause * 2, 200)) {
      try {
        await link(claim, file);
        const { ino } = await stat(claim, { bigint: true });
        return async () => {
          if ((await readLock(file))?.ino !== ino) return;
          // The lock first: a start that reads it held must still find it marked stopping.
          await unlink(file);
          if ((await stoppingPid(dataDir)) === process.pid) {
            await rm(join(dataDir, STOPPING_FILE), { force: true });
          }
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const lock = await readLock(file);
      if (lock?.pid !== undefined && isRunning(lock.pid)) {
        // A stack that is stopping lets go of the folder soon: wait for it, not longer than its stop takes.
        if ((await stoppingPid(dataDir)) !== lock.pid || Date.now() > stoppingDeadline) {
          throw new DataDirInUseError(dataDir, lock.pid);
        }
        await setTimeout(100);
        continue;
      }
      if (lock === undefined || (await removeStaleLock(file, lock))) continue;
      if (Date.now() > deadline) {
        throw new StartupConflictError(
          `data folder ${dataDir} has a stale lock another start did not finish taking over: remove ${file} and ${file}.takeover-${lock.ino}`,
        );
      }
      await setTimeout(pause);
    }
  } finally {
    await rm(claim, { force: true });
  }
}
