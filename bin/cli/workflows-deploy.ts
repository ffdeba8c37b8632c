// `stepwise workflows deploy <files or folders> [--skip-existing]`: registers each definition, with a
// progress bar and a summary. A version already registered with the same definition is unchanged; with a
// different one it is a conflict, which --skip-existing turns into a skip.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiError, type Connection, call } from './api-client';

async function definitionFiles(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    if ((await stat(path)).isDirectory()) {
      const entries = (await readdir(path)).filter((name) => name.endsWith('.json')).sort();
      files.push(...entries.map((name) => join(path, name)));
    } else {
      files.push(path);
    }
  }
  return files;
}

function progress(done: number, total: number, label: string): string {
  const width = 24;
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${label}`;
}

export async function deployWorkflows(
  connection: Connection,
  paths: string[],
  options: { skipExisting: boolean; out?: NodeJS.WriteStream },
): Promise<number> {
  const out = options.out ?? process.stdout;
  const files = await definitionFiles(paths);
  const counts = { created: 0, unchanged: 0, skipped: 0, failed: 0 };
  const failures: string[] = [];
  for (const [index, file] of files.entries()) {
    if (out.isTTY) out.write(`\r${progress(index, files.length, file)}\x1b[K`);
    try {
      const definition = JSON.parse(await readFile(file, 'utf8')) as unknown;
      const { body } = await call<{ created: boolean }>(connection, 'POST', '/workflows', definition);
      counts[body.created ? 'created' : 'unchanged']++;
    } catch (error) {
      if (options.skipExisting && error instanceof ApiError && error.status === 409) {
        counts.skipped++;
        continue;
      }
      counts.failed++;
      const details =
        error instanceof ApiError && error.body.details ? ` ${JSON.stringify(error.body.details)}` : '';
      failures.push(`${file}: ${(error as Error).message}${details}`);
    }
  }
  if (out.isTTY) out.write(`\r${progress(files.length, files.length, 'done')}\x1b[K\n`);
  for (const failure of failures) out.write(`failed ${failure}\n`);
  out.write(
    `${files.length} workflow file(s): ${counts.created} created, ${counts.unchanged} unchanged, ${counts.skipped} skipped, ${counts.failed} failed\n`,
  );
  return counts.failed > 0 ? 1 : 0;
}
