// State machine names cannot collide across organizations: `acme-prod`/`etl` and `acme`/`prod-etl` read
// alike (the old naming gave both `stepwise-acme-prod-etl-v1`, and the second registration replaced the
// first org's machine), yet each org's task runs its own definition. Over HTTP, on the embedded stack.
import { CreateStateMachineCommand, DescribeStateMachineCommand } from '@aws-sdk/client-sfn';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createApiKey, DynamoApiKeyStore } from '../../functions/shared/auth/api-keys';
import { REGISTRATION_HOLD_MS } from '../../functions/shared/registry/register-workflow';
import { stateMachineName } from '../../functions/shared/registry/state-machine-name';
import { DynamoStateMachineOwnership } from '../../functions/shared/registry/state-machine-ownership';
import { LOCAL_STATE_MACHINE_PREFIX } from '../../local/stack';
import { apiClient } from '../support/api-request';
import { localClients } from '../support/aws-clients';

const endpoints = inject('endpoints');
const { documents, sfn } = localClients(endpoints);
const keys = new DynamoApiKeyStore(documents, endpoints.tableName);
const ownership = new DynamoStateMachineOwnership(documents, endpoints.tableName);
const roleArn = endpoints.environment.WORKFLOW_ROLE_ARN ?? '';
const PLACEHOLDER_ASL = JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } });

async function describeDefinition(name: string): Promise<string> {
  const stateMachineArn = `arn:aws:states:${endpoints.region}:${endpoints.accountId}:stateMachine:${name}`;
  return (await sfn.send(new DescribeStateMachineCommand({ stateMachineArn }))).definition ?? '';
}
const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED']);

const request = apiClient(endpoints.api);
const call = (method: string, path: string, apiKey: string, body?: unknown) =>
  request(method, path, body, { apiKey });

async function runTask(apiKey: string, workflowId: string): Promise<Record<string, unknown>> {
  const started = await call('POST', '/tasks', apiKey, { workflowId });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { body } = await call('GET', `/tasks/${started.body.taskId}`, apiKey);
    if (TERMINAL.has(body.status as string)) return body;
    if (Date.now() > deadline) throw new Error(`task still ${body.status}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const transformWorkflow = (id: string, result: string) => ({
  id,
  version: 1,
  name: id,
  steps: [{ id: 'say', type: 'transform', params: { expression: JSON.stringify(result) } }],
});

const orgs = [
  { orgId: 'acme-prod', workflowId: 'etl', result: 'acme-prod runs etl' },
  { orgId: 'acme', workflowId: 'prod-etl', result: 'acme runs prod-etl' },
] as const;
const apiKeys = new Map<string, string>();
const machines = new Map<string, string>();

beforeAll(async () => {
  for (const { orgId, workflowId, result } of orgs) {
    const key = (await createApiKey(keys, { orgId, role: 'OWNER', name: 'names test' })).plaintext;
    apiKeys.set(orgId, key);
    const registered = await call('POST', '/workflows', key, transformWorkflow(workflowId, result));
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    machines.set(orgId, (registered.body.workflow as { stateMachineArn: string }).stateMachineArn);
  }
});

describe('state machine names', () => {
  it('give acme-prod/etl v1 and acme/prod-etl v1 a machine each, named with the stack prefix', async () => {
    const [first, second] = orgs.map(({ orgId }) => machines.get(orgId) ?? '');
    expect(first).not.toBe(second);
    for (const arn of [first, second]) {
      expect(arn).toMatch(/:stateMachine:stepwise-local_[A-Za-z0-9_-]+$/);
      const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
      expect(described.stateMachineArn).toBe(arn);
    }
  });

  it("run each org's task on its own definition", async () => {
    for (const { orgId, workflowId, result } of orgs) {
      const task = await runTask(apiKeys.get(orgId) ?? '', workflowId);
      expect(task.status, JSON.stringify(task)).toBe('SUCCEEDED');
      expect(JSON.stringify(task.output)).toContain(result);
      const other = orgs.find((o) => o.orgId !== orgId)?.result ?? '';
      expect(JSON.stringify(task.output)).not.toContain(other);
    }
  });

  it('refuses a lambda step whose function the deployment does not allow for the org, naming step and field', async () => {
    const response = await call('POST', '/workflows', apiKeys.get('acme') ?? '', {
      id: 'calls-lambda',
      version: 1,
      name: 'calls lambda',
      steps: [
        {
          id: 'invoke',
          type: 'lambda',
          params: { functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:stepwise-api' },
        },
      ],
    });
    expect(response.status).toBe(400);
    expect(response.body.details).toEqual([
      expect.objectContaining({
        stepId: 'invoke',
        field: 'steps[0].params.functionArn',
        rule: 'lambdaAllowlist',
      }),
    ]);
  });

  it('fails a lambda step whose functionArn.$ resolves to a function the org may not invoke, with LambdaNotAllowed', async () => {
    const key = apiKeys.get('acme') ?? '';
    const registered = await call('POST', '/workflows', key, {
      id: 'dynamic-lambda',
      version: 1,
      name: 'dynamic lambda',
      steps: [
        {
          id: 'invoke',
          type: 'lambda',
          retry: { maxAttempts: 0 },
          params: { 'functionArn.$': '$.input.fn' },
        },
      ],
    });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    const started = await call('POST', '/tasks', key, {
      workflowId: 'dynamic-lambda',
      input: { fn: 'arn:aws:lambda:us-east-1:000000000000:function:stepwise-api' },
    });
    expect(started.status).toBe(201);
    const deadline = Date.now() + 30_000;
    let task: Record<string, unknown> = {};
    while (!TERMINAL.has(task.status as string) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      task = (await call('GET', `/tasks/${started.body.taskId}`, key)).body;
    }
    expect(task.status).toBe('FAILED');
    const attempts = task.attempts as { stepId: string; error?: string }[];
    expect(attempts.map((attempt) => attempt.error)).toEqual(['LambdaNotAllowed']);
  });

  it('answers 409 and leaves alone a machine of that name that no ownership record proves is ours', async () => {
    const name = stateMachineName(LOCAL_STATE_MACHINE_PREFIX, 'acme', 'squatted', 1);
    await sfn.send(new CreateStateMachineCommand({ name, definition: PLACEHOLDER_ASL, roleArn }));
    const response = await call(
      'POST',
      '/workflows',
      apiKeys.get('acme') ?? '',
      transformWorkflow('squatted', 'x'),
    );
    expect(response.status).toBe(409);
    expect(response.body.message).toContain(name);
    expect(await describeDefinition(name)).toBe(PLACEHOLDER_ASL);
    // The name was given back: a later proof of ownership is not faked by this attempt.
    const claim = await ownership.claim(name, { orgId: 'acme', workflowId: 'squatted', version: 1 }, 'now');
    expect(claim.claimed).toBe(true);
  });

  it("updates a machine left by the org's own registration that failed before storing the version", async () => {
    const owner = { orgId: 'acme', workflowId: 'left-over', version: 1 };
    const name = stateMachineName(LOCAL_STATE_MACHINE_PREFIX, owner.orgId, owner.workflowId, 1);
    // Claimed past the hold a running registration has on its claim: that registration has stopped.
    const longAgo = new Date(Date.now() - 2 * REGISTRATION_HOLD_MS).toISOString();
    expect((await ownership.claim(name, owner, longAgo)).claimed).toBe(true);
    await sfn.send(new CreateStateMachineCommand({ name, definition: PLACEHOLDER_ASL, roleArn }));
    const key = apiKeys.get('acme') ?? '';
    const response = await call('POST', '/workflows', key, transformWorkflow('left-over', 'second try'));
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    expect(await describeDefinition(name)).toContain('second try');
    const task = await runTask(key, 'left-over');
    expect(JSON.stringify(task.output)).toContain('second try');
  });
});
