// When the stack rebuilds the console: only when a file under console/ (not dist), the lock file or a
// dependency patch is newer than the stamp of the last build, or that stamp is not a production build's. And
// what the build weighs: the JavaScript a first visit loads, React's production build whoever starts it.
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CONSOLE_STAMP_FILE,
  ensureConsoleBuilt,
  isConsoleStale,
  stampText,
} from '../../../local/console-build';

describe('console build staleness', () => {
  let project: string;
  let dir: string;
  const at = (seconds: number) => new Date(1_700_000_000_000 + seconds * 1000);
  beforeEach(async () => {
    project = await mkdtemp(join(tmpdir(), 'console-stale-'));
    dir = join(project, 'console');
    await mkdir(join(dir, 'src', 'pages'), { recursive: true });
    await mkdir(join(dir, 'dist', 'assets'), { recursive: true });
    await writeFile(join(dir, 'index.html'), '<html></html>');
    await writeFile(join(dir, 'src', 'pages', 'page.tsx'), 'export {}');
    await utimes(join(dir, 'index.html'), at(0), at(0));
    await utimes(join(dir, 'src', 'pages', 'page.tsx'), at(0), at(0));
  });
  afterEach(() => rm(project, { recursive: true, force: true }));

  it('is stale with no stamp, fresh after one, stale again when a nested source changes', async () => {
    expect(await isConsoleStale(dir)).toBe(true);
    await writeFile(join(dir, 'dist', CONSOLE_STAMP_FILE), stampText(at(10)));
    await utimes(join(dir, 'dist', CONSOLE_STAMP_FILE), at(10), at(10));
    expect(await isConsoleStale(dir)).toBe(false);
    await utimes(join(dir, 'src', 'pages', 'page.tsx'), at(20), at(20));
    expect(await isConsoleStale(dir)).toBe(true);
  });

  it('is stale when the lock file or a dependency patch changed after the build', async () => {
    await writeFile(join(dir, 'dist', CONSOLE_STAMP_FILE), stampText(at(10)));
    await utimes(join(dir, 'dist', CONSOLE_STAMP_FILE), at(10), at(10));
    await writeFile(join(project, 'package-lock.json'), '{}');
    await utimes(join(project, 'package-lock.json'), at(5), at(5));
    await mkdir(join(project, 'patches'));
    await writeFile(join(project, 'patches', 'uplot+1.6.32.patch'), '');
    await utimes(join(project, 'patches', 'uplot+1.6.32.patch'), at(5), at(5));
    expect(await isConsoleStale(dir)).toBe(false);
    await utimes(join(project, 'package-lock.json'), at(20), at(20));
    expect(await isConsoleStale(dir)).toBe(true);
    await utimes(join(project, 'package-lock.json'), at(5), at(5));
    await utimes(join(project, 'patches', 'uplot+1.6.32.patch'), at(20), at(20));
    expect(await isConsoleStale(dir)).toBe(true);
  });

  it('is stale when its stamp does not say it is a production build (an older stamp, maybe a development one)', async () => {
    await writeFile(join(dir, 'dist', CONSOLE_STAMP_FILE), `${at(10).toISOString()}\n`);
    await utimes(join(dir, 'dist', CONSOLE_STAMP_FILE), at(10), at(10));
    expect(await isConsoleStale(dir)).toBe(true);
  });

  it('ignores what the build itself writes into dist', async () => {
    await writeFile(join(dir, 'dist', CONSOLE_STAMP_FILE), stampText(at(10)));
    await utimes(join(dir, 'dist', CONSOLE_STAMP_FILE), at(10), at(10));
    await writeFile(join(dir, 'dist', 'assets', 'index.js'), '');
    await utimes(join(dir, 'dist', 'assets', 'index.js'), at(30), at(30));
    expect(await isConsoleStale(dir)).toBe(false);
  });
});

interface ManifestChunk {
  file: string;
  isEntry?: boolean;
  imports?: string[];
}

describe('the built console', () => {
  it('loads at most 200 KB of gzipped JavaScript on a first visit (the pages load lazily)', async () => {
    const { distDir } = await ensureConsoleBuilt();
    expect(await isConsoleStale()).toBe(false);
    const manifest = JSON.parse(await readFile(join(distDir, '.vite', 'manifest.json'), 'utf8')) as Record<
      string,
      ManifestChunk
    >;
    // The entry and what it imports statically; dynamic imports (the pages) come later.
    const initial = new Set<string>();
    const visit = (key: string) => {
      const chunk = manifest[key];
      if (!chunk || initial.has(chunk.file)) return;
      initial.add(chunk.file);
      for (const imported of chunk.imports ?? []) visit(imported);
    };
    for (const [key, chunk] of Object.entries(manifest)) if (chunk.isEntry) visit(key);
    let gzipped = 0;
    for (const file of initial) gzipped += gzipSync(await readFile(join(distDir, file))).length;
    console.log(
      `console initial JavaScript: ${(gzipped / 1024).toFixed(1)} KB gzipped (${[...initial].join(', ')})`,
    );
    expect(initial.size).toBeGreaterThan(0);
    expect(gzipped).toBeLessThanOrEqual(200 * 1024);
    // React's production build, although vitest runs this with NODE_ENV=test: no development-only code.
    expect(process.env.NODE_ENV).toBe('test');
    for (const file of initial)
      expect(await readFile(join(distDir, file), 'utf8')).not.toContain('react-devtools');
  }, 120_000);
});
