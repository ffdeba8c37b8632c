// What keeps `npm start` from starting that the user can fix: a port another process listens on, or a data
// folder another running stack holds. start.ts prints each as one line and exits with 1.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

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

async function readHolder(file: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const pid = Number.parseInt(text, 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Holds `<dataDir>/stack.lock` (the holder's pid) for as long as the stack runs: dynalite, fauxqs and the
 * Step Functions records of two stacks in one folder would overwrite each other. A lock whose process is
 * gone (a stack killed with -9 or crashed) is stale and taken over. Resolves with the release function.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const file = join(dataDir, LOCK_FILE);
  const mine = `${process.pid}\n`;
  const release = async () => {
    if ((await readHolder(file)) === process.pid) await rm(file, { force: true });
  };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(file, mine, { flag: 'wx' });
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readHolder(file);
    if (holder !== undefined && isRunning(holder)) throw new DataDirInUseError(dataDir, holder);
    await rm(file, { force: true });
  }
  // Another stack took the stale lock between our two attempts.
  throw new DataDirInUseError(dataDir, (await readHolder(file)) ?? 0);
}
