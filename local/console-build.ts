// Builds the console (console/ -> console/dist) when it is stale: when any file under console/ other than
// dist, or the dependencies it is built from (package-lock.json, patches/), is newer than the stamp the
// last build left in dist. `npm start` and the browser tests' setup call
// ensureConsoleBuilt, so nobody runs a separate build command. Vite runs in a child process (its bundler
// stays out of the stack's process); the output goes to a scratch folder first and replaces dist in two
// renames, so a server reading dist, or a second stack building at the same time, never sees half a build.
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const CONSOLE_DIR = fileURLToPath(new URL('../console', import.meta.url));
export const CONSOLE_DIST_DIR = join(CONSOLE_DIR, 'dist');
/** Written into dist after a build; its mtime is when the sources were last built. */
export const CONSOLE_STAMP_FILE = '.build-stamp';

/**
 * The stamp's text: it says the build is a production one. Vite keeps a NODE_ENV it inherits, and vitest
 * sets NODE_ENV=test, so a build started by a test once gave dist React's development build (which `npm
 * start` then served and `cdk deploy` shipped, as nothing was stale); a stamp without this is stale.
 */
const PRODUCTION_STAMP = 'production build of ';
export const stampText = (sourcesAt: Date): string => `${PRODUCTION_STAMP}${sourcesAt.toISOString()}\n`;

/** The newest modification time (ms) of the files under `dir`, skipping `skip` (names at any depth). */
export async function newestMtime(dir: string, skip: ReadonlySet<string>): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (skip.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, await newestMtime(path, skip));
    else if (entry.isFile()) newest = Math.max(newest, (await stat(path)).mtimeMs);
  }
  return newest;
}

/**
 * Whether `consoleDir`'s sources, or the lock file and dependency patches of the project around it,
 * changed after the stamp in its dist (or there is no build at all).
 */
export async function isConsoleStale(consoleDir: string = CONSOLE_DIR): Promise<boolean> {
  let stampedAt: number;
  try {
    const stamp = join(consoleDir, 'dist', CONSOLE_STAMP_FILE);
    if (!(await readFile(stamp, 'utf8')).startsWith(PRODUCTION_STAMP)) return true;
    stampedAt = (await stat(stamp)).mtimeMs;
  } catch {
    return true;
  }
  const projectRoot = resolve(consoleDir, '..');
  const dependencies = await Promise.all([
    stat(join(projectRoot, 'package-lock.json')).then(
      (file) => file.mtimeMs,
      () => 0,
    ),
    newestMtime(join(projectRoot, 'patches'), new Set()).catch(() => 0),
  ]);
  const sources = await newestMtime(consoleDir, new Set(['dist', 'node_modules']));
  return Math.max(sources, ...dependencies) > stampedAt;
}

export interface ConsoleBuildResult {
  /** False when the build was already fresh. */
  readonly built: boolean;
  readonly distDir: string;
  readonly ms: number;
}

/** Builds the console when stale; resolves once console/dist is current. */
export async function ensureConsoleBuilt(
  options: { log?: (message: string) => void } = {},
): Promise<ConsoleBuildResult> {
  const started = performance.now();
  if (!(await isConsoleStale())) return { built: false, distDir: CONSOLE_DIST_DIR, ms: 0 };
  options.log?.('Building the console (console/ changed since its last build)...');
  // The sources' time is taken before the build: an edit made while it runs leaves the build stale.
  const sourcesAt = new Date();
  const projectRoot = resolve(CONSOLE_DIR, '..');
  const scratch = join(
    projectRoot,
    'node_modules',
    '.cache',
    `stepwise-console-${process.pid}-${Date.now()}`,
  );
  await mkdir(scratch, { recursive: true });
  try {
    const vite = join(projectRoot, 'node_modules', 'vite', 'bin', 'vite.js');
    await run(
      process.execPath,
      [
        vite,
        'build',
        '--config',
        join(CONSOLE_DIR, 'vite.config.ts'),
        '--outDir',
        scratch,
        '--logLevel',
        'warn',
      ],
      // Production whatever the caller's NODE_ENV (vitest's `test`, a shell's `development`): React's
      // development build is larger, slower and prints to the browser's console.
      { cwd: projectRoot, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, NODE_ENV: 'production' } },
    );
    const stamp = join(scratch, CONSOLE_STAMP_FILE);
    await writeFile(stamp, stampText(sourcesAt));
    await utimes(stamp, sourcesAt, sourcesAt);
    const previous = `${scratch}-previous`;
    await rename(CONSOLE_DIST_DIR, previous).catch(() => undefined);
    await rename(scratch, CONSOLE_DIST_DIR).catch((error: NodeJS.ErrnoException) => {
      // Another stack's build of the same sources landed between the two renames: keep that one.
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    });
    await rm(previous, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
  } catch (error) {
    await rm(scratch, { recursive: true, force: true });
    throw new ConsoleBuildError(error);
  }
  return { built: true, distDir: CONSOLE_DIST_DIR, ms: Math.round(performance.now() - started) };
}

export class ConsoleBuildError extends Error {
  override readonly name = 'ConsoleBuildError';
  constructor(cause: unknown) {
    const output = (cause as { stderr?: string; stdout?: string }).stderr || (cause as Error).message;
    super(`The console build failed:\n${output}`, { cause });
  }
}
