// The local Secrets Manager answers the AWS SDK client and stepwise's cached secrets reader as the service
// does, for the calls stepwise makes, and keeps its secrets across a restart.
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSecretsManagerClient } from '../../../functions/shared/clients/secrets-manager';
import { cachedSecrets } from '../../../functions/shared/secrets';
import { type LocalSecretsManager, startSecretsManager } from '../../../local/secrets-manager';
import { LOCAL_AWS } from '../../../local/settings';

describe('local Secrets Manager', () => {
  let dataDir: string;
  let server: LocalSecretsManager;
  let client: SecretsManagerClient;

  const connect = (url: string) =>
    new SecretsManagerClient({ region: LOCAL_AWS.region, credentials: LOCAL_AWS.credentials, endpoint: url });

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'stepwise-secrets-'));
    server = await startSecretsManager(LOCAL_AWS, dataDir);
    client = connect(server.url);
  });
  afterEach(async () => {
    client.destroy();
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('creates, reads, updates, describes and deletes a secret by name or ARN', async () => {
    const created = await client.send(
      new CreateSecretCommand({ Name: 'stepwise/local/a', SecretString: 'one' }),
    );
    expect(created.ARN).toMatch(
      /^arn:aws:secretsmanager:us-east-1:000000000000:secret:stepwise\/local\/a-[A-Za-z0-9]{6}$/,
    );
    expect((await client.send(new GetSecretValueCommand({ SecretId: created.ARN }))).SecretString).toBe(
      'one',
    );

    const updated = await client.send(
      new PutSecretValueCommand({ SecretId: 'stepwise/local/a', SecretString: 'two' }),
    );
    expect(updated.ARN).toBe(created.ARN);
    expect(
      (await client.send(new GetSecretValueCommand({ SecretId: 'stepwise/local/a' }))).SecretString,
    ).toBe('two');
    expect(await client.send(new DescribeSecretCommand({ SecretId: created.ARN }))).toMatchObject({
      ARN: created.ARN,
      Name: 'stepwise/local/a',
    });

    await client.send(new DeleteSecretCommand({ SecretId: created.ARN, ForceDeleteWithoutRecovery: true }));
    await expect(client.send(new GetSecretValueCommand({ SecretId: created.ARN }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('keeps its file owner-only: it holds webhook URLs and signing secrets in the clear', async () => {
    await client.send(new CreateSecretCommand({ Name: 'stepwise/local/mode', SecretString: 'whsec_x' }));
    const files = (await readdir(dataDir)).filter((name) => !name.endsWith('.tmp'));
    expect(files.length).toBeGreaterThan(0);
    for (const name of files) expect((await stat(join(dataDir, name))).mode & 0o777, name).toBe(0o600);
  });

  it('refuses to create a secret whose name exists, with the SDK error class', async () => {
    await client.send(new CreateSecretCommand({ Name: 'dup', SecretString: 'x' }));
    await expect(
      client.send(new CreateSecretCommand({ Name: 'dup', SecretString: 'y' })),
    ).rejects.toBeInstanceOf(ResourceExistsException);
  });

  it("serves stepwise's secrets reader and keeps secrets across a restart", async () => {
    const { ARN } = await client.send(new CreateSecretCommand({ Name: 'kept', SecretString: 'value' }));
    client.destroy();
    await server.close();
    server = await startSecretsManager(LOCAL_AWS, dataDir);
    client = connect(server.url);
    const secrets = cachedSecrets(
      createSecretsManagerClient({
        region: LOCAL_AWS.region,
        credentials: LOCAL_AWS.credentials,
        endpoint: server.url,
      }),
    );
    expect(await secrets.get(ARN ?? '', { maxAge: 60 })).toBe('value');
  });
});
