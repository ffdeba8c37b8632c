import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../bin/cli/format';
import { loadHandler, resolveWorkerTarget, statusLine } from '../../../bin/cli/worker';

let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'stepwise-cli-worker-'));
  await writeFile(
    join(dataDir, 'endpoints.json'),
    JSON.stringify({
      api: 'http://127.0.0.1:3000',
      tableName: 'stepwise',
      workerQueueUrls: { research: 'http://127.0.0.1:4566/000000000000/stepwise-worker-research' },
      workerHeartbeatSeconds: 2,
      agentReportsFunction: 'stepwise-agent-reports',
      environment: {
        AWS_REGION: 'us-east-1',
        AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:4566',
        TABLE_NAME: 'stepwise',
      },
    }),
  );
  await writeFile(join(dataDir, 'named.mjs'), 'export const handler = async () => "named";\n');
  await writeFile(join(dataDir, 'default.mjs'), 'export default async () => "default";\n');
  await writeFile(join(dataDir, 'none.mjs'), 'export const other = 1;\n');
});

afterAll(() => rm(dataDir, { recursive: true, force: true }));

describe('stepwise worker', () => {
  it("resolves the local stack's queue of the type, table, recorder, heartbeat interval and AWS endpoints from endpoints.json", async () => {
    const target = await resolveWorkerTarget('research', { STEPWISE_DATA_DIR: dataDir });
    expect(target).toMatchObject({
      tableName: 'stepwise',
      queueUrl: 'http://127.0.0.1:4566/000000000000/stepwise-worker-research',
      reportsFunction: 'stepwise-agent-reports',
      pollWaitSeconds: 1,
      // The interval the stack's dead-after was checked against.
      heartbeatIntervalSeconds: 2,
      // Only the AWS SDK's variables, not the Lambdas' own configuration.
      awsEnvironment: { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:4566' },
    });
  });

  it('leaves a deployment to the environment when STEPWISE_WORKER_QUEUE_URL is set', async () => {
    const target = await resolveWorkerTarget('research', {
      STEPWISE_DATA_DIR: dataDir,
      STEPWISE_WORKER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/q',
    });
    expect(target).toEqual({ awsEnvironment: {}, where: 'https://sqs.eu-west-1.amazonaws.com/1/q' });
  });

  it('refuses a type the local stack does not declare, naming those it does', async () => {
    const refused = resolveWorkerTarget('leads', { STEPWISE_DATA_DIR: dataDir });
    await expect(refused).rejects.toThrow(UsageError);
    await expect(refused).rejects.toThrow(
      '--type leads is not a worker type of the local stack (declared: research)',
    );
  });

  it('says what to do when there is neither a queue nor a local stack', async () => {
    await expect(
      resolveWorkerTarget('research', { STEPWISE_DATA_DIR: join(dataDir, 'nowhere') }),
    ).rejects.toThrow(
      /set STEPWISE_WORKER_QUEUE_URL, STEPWISE_TABLE and STEPWISE_AGENT_REPORTS_FUNCTION .* or run `npm start` \(which writes .*nowhere\/endpoints\.json; a stack started with STEPWISE_DATA_DIR writes it there/,
    );
  });

  it('loads the handler export, else the default export, and refuses a module with neither', async () => {
    expect(await (await loadHandler(join(dataDir, 'named.mjs')))({} as never)).toBe('named');
    expect(await (await loadHandler(join(dataDir, 'default.mjs')))({} as never)).toBe('default');
    await expect(loadHandler(join(dataDir, 'none.mjs'))).rejects.toThrow(/exports no handler/);
    await expect(loadHandler(join(dataDir, 'missing.mjs'))).rejects.toThrow(UsageError);
  });

  it('shows in flight, done, failed and the last heartbeat on one line', () => {
    const base = {
      workerId: 'box-1-abcd',
      type: 'research',
      state: 'running',
      status: 'ACTIVE',
      concurrency: 2,
      inFlight: 1,
      processed: 14,
      failed: 1,
      lastHeartbeatAt: '2026-11-27T20:52:51.123Z',
    } as const;
    expect(statusLine(base)).toBe(
      'worker box-1-abcd research ACTIVE  in flight 1/2  done 14  failed 1  last heartbeat 20:52:51',
    );
    expect(statusLine({ ...base, state: 'stopping' })).toContain('research STOPPING  in flight');
  });
});
