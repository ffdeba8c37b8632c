// The default organization of the local stack and an OWNER key for it, written to
// `<data folder>/dev-credentials.json` (owner-only) for the CLI and the e2e tests. A key from an earlier
// run is kept while it still works; a lost one is replaced.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  dynamoBootstrapDeps,
  ensureDefaultOrg,
  resetBootstrapKey,
} from '../functions/shared/auth/bootstrap-org';

export const DEV_CREDENTIALS_FILE = 'dev-credentials.json';

export interface DevCredentials {
  readonly url: string;
  readonly orgId: string;
  readonly apiKey: string;
}

export async function ensureDevCredentials(
  dataDir: string,
  apiUrl: string,
  client: DynamoDBDocumentClient,
  tableName: string,
): Promise<DevCredentials> {
  const file = join(dataDir, DEV_CREDENTIALS_FILE);
  const deps = dynamoBootstrapDeps(client, tableName);
  const previous = await readPrevious(file);
  let credentials: DevCredentials | undefined;
  if (previous) {
    const key = await deps.apiKeys.findByKey(previous.apiKey);
    if (key && !key.revokedAt) credentials = { url: apiUrl, orgId: key.orgId, apiKey: previous.apiKey };
  }
  if (!credentials) {
    const bootstrap = await ensureDefaultOrg(deps, { name: 'Default organization' });
    const plaintext =
      bootstrap.plaintext ?? (await resetBootstrapKey(deps, { orgId: bootstrap.orgId })).plaintext;
    credentials = { url: apiUrl, orgId: bootstrap.orgId, apiKey: plaintext };
  }
  await writeFile(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  return credentials;
}

async function readPrevious(file: string): Promise<DevCredentials | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as DevCredentials;
  } catch {
    return undefined;
  }
}
