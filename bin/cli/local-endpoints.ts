// The local stack's endpoints.json, which `npm start` writes to its data folder (STEPWISE_DATA_DIR, default
// .stepwise/): how CLI commands without AWS settings find the stack. `missing` words the error for the
// command when there is none.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { LocalEndpoints } from '../../local/stack';
import { UsageError } from './format';

export async function readLocalEndpoints(
  env: NodeJS.ProcessEnv,
  missing: (file: string) => string,
): Promise<LocalEndpoints> {
  const dataDir = env.STEPWISE_DATA_DIR || resolve(import.meta.dirname, '../../.stepwise');
  const file = resolve(dataDir, 'endpoints.json');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LocalEndpoints;
  } catch {
    throw new UsageError(missing(file));
  }
}
