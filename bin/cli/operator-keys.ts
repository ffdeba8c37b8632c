// `keys create-operator` and `keys revoke-operator`: OPERATOR keys straight in the deployment's table,
// with the caller's own AWS credentials (the standard chain, and AWS_ENDPOINT_URL_DYNAMODB for LocalStack
// or the local stack). No API route makes an OPERATOR key, so this is how the first one comes to be:
// whoever may write the table may run the platform.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoApiKeyStore } from '../../functions/shared/auth/api-keys';
import { createOperatorKey, revokeOperatorKey } from '../../functions/shared/auth/bootstrap-org';
import { LeanDocumentClient } from '../../functions/shared/clients/dynamodb';

// The SDK client only resolves the caller's region and credentials (profiles, SSO, ...) as the SDK does;
// the table is then written through the same document client as the Lambdas'.
async function operatorKeyStore(table: string) {
  const { config } = new DynamoDBClient({});
  const documents = LeanDocumentClient.create({
    region: await config.region(),
    credentials: config.credentials,
  });
  return { apiKeys: new DynamoApiKeyStore(documents, table) };
}

export async function createOperatorKeyCommand(table: string, name: string): Promise<void> {
  const store = await operatorKeyStore(table);
  const { plaintext, key } = await createOperatorKey(store, name);
  console.log(`OPERATOR key ${key.keyId} ("${key.name}") created at ${key.createdAt}.
Its secret is shown this once; store it now:

  ${plaintext}

Send it as "Authorization: Bearer <key>". Revoke it with: stepwise keys revoke-operator ${key.keyId} --table ${table}`);
}

export async function revokeOperatorKeyCommand(table: string, keyId: string): Promise<boolean> {
  const store = await operatorKeyStore(table);
  const revoked = await revokeOperatorKey(store, keyId);
  if (!revoked) {
    console.error(`No OPERATOR key ${keyId} in table ${table}`);
    return false;
  }
  console.log(`OPERATOR key ${keyId} revoked at ${revoked.revokedAt}`);
  return true;
}
