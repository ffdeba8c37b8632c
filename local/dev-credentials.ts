// The default organization of the local stack and an OWNER key for it, plus an OPERATOR key (the
// deployment-level role that reads across organizations), written to `<data folder>/dev-credentials.json`
// (owner-only) for the CLI and the e2e tests. A key from an earlier run is kept while it still works; a
// lost or revoked one is replaced.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createOperatorKey,
  dynamoBootstrapDeps,
  ensureDefaultOrg,
  resetBootstrapKey,
} from '../functions/shared/auth/bootstrap-org';
import type { DocumentClient } from '../functions/shared/clients/table-commands';

export const DEV_CREDENTIALS_FILE = 'dev-credentials.json';

export interface DevCredentials {
  readonly url: string;
  readonly orgId: string;
  readonly apiKey: string;
  /** An OPERATOR key of the local deployment. */
  readonly operatorApiKey: string;
}

export const LOCAL_OPERATOR_KEY_NAME = 'local operator key';

export async function ensureDevCredentials(
  dataDir: string,
  apiUrl: string,
  client: DocumentClient,
  tableName: string,
): Promise<DevCredentials> {
  const file = join(dataDir, DEV_CREDENTIALS_FILE);
  const deps = dynamoBootstrapDeps(client, tableName);
  const previous = await readPrevious(file);
  const stillWorks = async (plaintext: string | undefined) => {
    const key = plaintext ? await deps.apiKeys.findByKey(plaintext) : undefined;
    return key && !key.revokedAt ? key : undefined;
  };
  let owner: Pick<DevCredentials, 'orgId' | 'apiKey'> | undefined;
  const previousOwner = await stillWorks(previous?.apiKey);
  if (previous && previousOwner) owner = { orgId: previousOwner.orgId, apiKey: previous.apiKey };
  if (!owner) {
    const bootstrap = await ensureDefaultOrg(deps, { name: 'Default organization' });
    const plaintext =
      bootstrap.plaintext ?? (await resetBootstrapKey(deps, { orgId: bootstrap.orgId })).plaintext;
    owner = { orgId: bootstrap.orgId, apiKey: plaintext };
  }
  const operatorApiKey =
    previous?.operatorApiKey && (await stillWorks(previous.operatorApiKey))?.role === 'OPERATOR'
      ? previous.operatorApiKey
      : (await createOperatorKey(deps, LOCAL_OPERATOR_KEY_NAME)).plaintext;
  const credentials: DevCredentials = { url: apiUrl, ...owner, operatorApiKey };
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
