// The stores' folders inside the data folder hold task tokens, API key hashes and alert secrets: owner-only,
// whatever the data folder's own mode (STEPWISE_DATA_DIR may name a shared folder, which keeps its mode) and
// whatever mode an earlier version created them with.
import { chmod, mkdir } from 'node:fs/promises';

export async function ownerOnlyFolder(path: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  await chmod(path, 0o700);
}
