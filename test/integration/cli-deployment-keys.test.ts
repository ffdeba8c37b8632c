// `stepwise keys create-operator`, `keys revoke-operator` and `keys create-owner` as an operator runs them:
// on a deployment with AWS credentials and the table name, straight against DynamoDB (here the embedded
// stack's), or on `npm start` from its endpoints.json; then the key used over HTTP.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LOCAL_AWS } from '../../local/settings';

const endpoints = inject('endpoints');
const credentials = inject('credentials');
const run = promisify(execFile);
const root = new URL('../../', import.meta.url);

function stepwise(...args: string[]) {
  return runIn({}, ...args);
}

function runIn(extraEnv: Record<string, string>, ...args: string[]) {
  return run(process.execPath, ['--import', 'tsx', 'bin/stepwise.ts', ...args], {
    cwd: root,
    env: {
      ...process.env,
      ...extraEnv,
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

describe('stepwise keys create-owner', () => {
  const secretOf = (stdout: string) => /(sw_[A-Za-z0-9_-]{43})/.exec(stdout)?.[1] as string;
  let localDataDir: string;

  beforeAll(async () => {
    // A data folder as `npm start` leaves it: the command finds the local stack by its endpoints.json.
    localDataDir = await mkdtemp(join(tmpdir(), 'stepwise-keys-'));
    await writeFile(join(localDataDir, 'endpoints.json'), JSON.stringify(endpoints));
  });
  afterAll(() => rm(localDataDir, { recursive: true, force: true }));

  it('on the local stack, makes a new organization and its OWNER key, which sees that org only', async () => {
    const org = `cli-owner-${randomUUID().slice(0, 8)}`;
    // No AWS settings and no --table: the local stack's endpoints.json says where and with what.
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'bin/stepwise.ts', 'keys', 'create-owner', '--org', org],
      {
        cwd: root,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', STEPWISE_DATA_DIR: localDataDir },
      },
    );
    expect(stdout).toContain(`of organization ${org} (new)`);
    const secret = secretOf(stdout);
    const me = await get('/me', secret);
    expect(await me.json()).toMatchObject({ orgId: org, role: 'OWNER', method: 'api-key' });
    const tasks = await get('/tasks', secret);
    expect(tasks.status).toBe(200);
    expect(((await tasks.json()) as { items: unknown[] }).items).toEqual([]);
    // The default org's data stays out of reach.
    expect((await get(`/admin/tasks?org=${credentials.orgId}`, secret)).status).toBe(403);
  });

  it('with --table, adds an OWNER key to an existing organization, which can make its other keys', async () => {
    const { stdout } = await stepwise(
      'keys',
      'create-owner',
      '--org',
      credentials.orgId,
      '--table',
      endpoints.tableName,
      '--name',
      'second owner',
    );
    expect(stdout).toContain(`of organization ${credentials.orgId} created`);
    const made = await fetch(`${endpoints.api}/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secretOf(stdout)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ci', role: 'MEMBER' }),
    });
    expect(made.status).toBe(201);
  });

  it.each(['a#WF#b', 'Acme Corp', '*'])('refuses --org %s with exit 2, naming the option', async (org) => {
    const failed = await stepwise('keys', 'create-owner', '--org', org, '--table', endpoints.tableName).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--org <id>.*must be an organization id/),
    });
  });
});
