import { CreateStateMachineCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, inject, it } from 'vitest';
import {
  DynamoExecutionStatusStore,
  MAX_RECORDED_PAYLOAD_CHARS,
} from '../../functions/shared/executions/execution-status-store';
import { localClients } from '../support/aws-clients';

const endpoints = inject('endpoints');
const { sfn, documents } = localClients(endpoints);
const store = new DynamoExecutionStatusStore(documents, endpoints.tableName);

describe('execution status events reach the task-events handler', () => {
  it('records RUNNING and SUCCEEDED for an execution, as EventBridge would deliver them on AWS', async () => {
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({
        name: `status-events-${Date.now()}`,
        roleArn: `arn:aws:iam::${endpoints.accountId}:role/local`,
        definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } }),
      }),
    );
    const { executionArn = '' } = await sfn.send(new StartExecutionCommand({ stateMachineArn, input: '{}' }));
    await expect
      .poll(async () => (await store.list(executionArn)).map((record) => record.status).sort(), {
        timeout: 30_000,
      })
      .toEqual(['RUNNING', 'SUCCEEDED']);
    const succeeded = (await store.list(executionArn)).find((record) => record.status === 'SUCCEEDED');
    expect(succeeded).toMatchObject({ executionArn, stateMachineArn, output: '{}' });
  });

  it('records the end of an execution whose input and output together exceed the 400 KB item limit', async () => {
    const { stateMachineArn } = await sfn.send(
      new CreateStateMachineCommand({
        name: `status-events-large-${Date.now()}`,
        roleArn: `arn:aws:iam::${endpoints.accountId}:role/local`,
        definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } }),
      }),
    );
    // 250 KB in, the same out: 500 KB of payload in the SUCCEEDED event.
    const input = JSON.stringify({ text: 'x'.repeat(250_000) });
    const { executionArn = '' } = await sfn.send(new StartExecutionCommand({ stateMachineArn, input }));
    await expect
      .poll(async () => (await store.list(executionArn)).map((record) => record.status).sort(), {
        timeout: 30_000,
      })
      .toEqual(['RUNNING', 'SUCCEEDED']);
    const succeeded = (await store.list(executionArn)).find((record) => record.status === 'SUCCEEDED');
    expect(succeeded?.output?.startsWith(input.slice(0, MAX_RECORDED_PAYLOAD_CHARS))).toBe(true);
    expect(succeeded?.output?.length).toBeLessThan(MAX_RECORDED_PAYLOAD_CHARS + 20);
  });

  it('ignores a redelivered status event (EventBridge delivers at least once)', async () => {
    const change = {
      executionArn: `arn:aws:states:us-east-1:000000000000:execution:m:redelivered-${Date.now()}`,
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:m',
      name: 'redelivered',
      status: 'FAILED' as const,
      startDate: 1,
      stopDate: 2,
      eventId: 'e1',
      eventTime: '2026-01-01T00:00:00Z',
    };
    expect(await store.record(change)).toBe(true);
    expect(await store.record({ ...change, eventId: 'e2' })).toBe(false);
    expect((await store.list(change.executionArn)).map((record) => record.eventId)).toEqual(['e1']);
  });
});
