// `stepwise keys create-operator` and `keys revoke-operator` as an operator runs them on a fresh
// deployment: with AWS credentials and the table name, straight against DynamoDB (here the embedded
// stack's), then the key used over HTTP.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { LOCAL_AWS } from '../../local/settings';

const endpoints = inject('endpoints');
const credentials = inject('credentials');
const run = promisify(execFile);
const root = new URL('../../', import.meta.url);

function stepwise(...args: string[]) {
  return run(process.execPath, ['--import', 'tsx', 'bin/stepwise.ts', ...args], {
    cwd: root,
    env: {
      ...process.env,
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
      AWS_REGION: endpoints.region,
      AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    },
  });
}

const get = (path: string, apiKey: string) =>
  fetch(`${endpoints.api}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });

describe('stepwise keys create-operator', () => {
  it('writes an OPERATOR key that reads every org on the admin routes, until revoke-operator', async () => {
    const { stdout } = await stepwise(
      'keys',
      'create-operator',
      '--table',
      endpoints.tableName,
      '--name',
      'cli',
    );
    const secret = /(sw_[A-Za-z0-9_-]{43})/.exec(stdout)?.[1];
    const keyId = /OPERATOR key (\S+)/.exec(stdout)?.[1];
    expect(secret, stdout).toBeDefined();
    const listed = await get(`/admin/tasks?org=${credentials.orgId}&limit=1`, secret as string);
    expect(listed.status).toBe(200);
    expect((await get('/tasks', secret as string)).status).toBe(403);

    await stepwise('keys', 'revoke-operator', keyId as string, '--table', endpoints.tableName);
    expect((await get('/admin/tasks', secret as string)).status).toBe(401);
  });

  it('exits 1 naming the key when there is no such operator key', async () => {
    const failed = await stepwise(
      'keys',
      'revoke-operator',
      'AAAAAAAA',
      '--table',
      endpoints.tableName,
    ).catch((error: { code: number; stderr: string }) => error);
    expect(failed).toMatchObject({ code: 1, stderr: expect.stringContaining('No OPERATOR key AAAAAAAA') });
  });
});
