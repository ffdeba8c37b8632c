// The keys no API route makes, written straight into the deployment's table: `keys create-operator` and
// `keys revoke-operator` (OPERATOR keys), and `keys create-owner` (an organization's first OWNER key, the
// organization created with it). With `--table`, the caller's own AWS credentials (the standard chain, and
// AWS_ENDPOINT_URL_DYNAMODB for LocalStack); without it, the local stack of `npm start`, from the
// endpoints.json it writes to its data folder. Whoever may write the table may run the platform.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  createOperatorKey,
  createOwnerKey,
  dynamoBootstrapDeps,
  revokeOperatorKey,
} from '../../functions/shared/auth/bootstrap-org';
import { LeanDocumentClient } from '../../functions/shared/clients/dynamodb';
import { readLocalEndpoints } from './local-endpoints';

interface KeyTarget {
  readonly deps: ReturnType<typeof dynamoBootstrapDeps>;
  /** How to name the same table again in a printed command. */
  readonly tableOption: string;
}

async function keyTarget(
  table: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<KeyTarget> {
  if (table !== undefined) {
    // The SDK client only resolves the caller's region and credentials (profiles, SSO, ...) as the SDK
    // does; the table is then written through the same document client as the Lambdas'.
    const { config } = new DynamoDBClient({});
    const documents = LeanDocumentClient.create({
      region: await config.region(),
      credentials: config.credentials,
    });
    return { deps: dynamoBootstrapDeps(documents, table), tableOption: ` --table ${table}` };
  }
  const endpoints = await readLocalEndpoints(
    env,
    (file) =>
      `No table: give --table <the stack's TableName output> with AWS credentials, or run \`npm start\` (which writes ${file}; a stack started with STEPWISE_DATA_DIR writes it there: set the same here)`,
  );
  const { AWS_ACCESS_KEY_ID: accessKeyId = '', AWS_SECRET_ACCESS_KEY: secretAccessKey = '' } =
    endpoints.environment;
  const documents = LeanDocumentClient.create({
    endpoint: endpoints.dynamodb,
    region: endpoints.region,
    credentials: { accessKeyId, secretAccessKey },
  });
  return { deps: dynamoBootstrapDeps(documents, endpoints.tableName), tableOption: '' };
}

export async function createOperatorKeyCommand(table: string | undefined, name: string): Promise<void> {
  const { deps, tableOption } = await keyTarget(table);
  const { plaintext, key } = await createOperatorKey(deps, name);
  console.log(`OPERATOR key ${key.keyId} ("${key.name}") created at ${key.createdAt}.
Its secret is shown this once; store it now:

  ${plaintext}

Send it as "Authorization: Bearer <key>". Revoke it with: stepwise keys revoke-operator ${key.keyId}${tableOption}`);
}

export async function revokeOperatorKeyCommand(table: string | undefined, keyId: string): Promise<boolean> {
  const { deps, tableOption } = await keyTarget(table);
  const revoked = await revokeOperatorKey(deps, keyId);
  if (!revoked) {
    console.error(`No OPERATOR key ${keyId} in ${tableOption ? `table ${table}` : 'the local stack'}`);
    return false;
  }
  console.log(`OPERATOR key ${keyId} revoked at ${revoked.revokedAt}`);
  return true;
}

export async function createOwnerKeyCommand(
  table: string | undefined,
  orgId: string,
  name: string,
): Promise<void> {
  const { deps } = await keyTarget(table);
  const { plaintext, key, orgCreated } = await createOwnerKey(deps, { orgId, name });
  console.log(`OWNER key ${key.keyId} ("${key.name}") of organization ${orgId}${orgCreated ? ' (new)' : ''} created at ${key.createdAt}.
Its secret is shown this once; store it now:

  ${plaintext}

Use it as STEPWISE_API_KEY (or --api-key, or "Authorization: Bearer <key>"); it makes the organization's
other keys with: stepwise keys create --name <name> --role OWNER|ADMIN|MEMBER, and revokes this one with
stepwise keys revoke ${key.keyId}`);
}
