// The key that signs the local stack's pagination cursors: random, made once, kept in the data folder
// (owner-only) so cursors stay valid across restarts. On AWS the stack generates a Secrets Manager secret.
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const CURSOR_KEY_FILE = 'cursor-signing-key';

export async function ensureCursorKey(dataDir: string): Promise<string> {
  const file = join(dataDir, CURSOR_KEY_FILE);
  try {
    const existing = (await readFile(file, 'utf8')).trim();
    if (existing) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = randomBytes(32).toString('base64url');
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  return key;
}
