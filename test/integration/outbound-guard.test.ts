// An `http` step pointed at the local stack's own DynamoDB on loopback (what a tenant could read before
// the outbound-address guard) runs through the embedded stack and fails with the guard's error.
import { describe, expect, inject, it } from 'vitest';
import { apiClient } from '../support/api-request';

const endpoints = inject('endpoints');
const credentials = inject('credentials');

const call = apiClient(endpoints.api, credentials.apiKey);

describe('outbound-address guard on the embedded stack', () => {
  it('fails a task whose http step targets 127.0.0.1 with OutboundAddressRefused', async () => {
    const target = new URL(endpoints.dynamodb);
    expect(target.hostname).toBe('127.0.0.1');
    const workflow = {
      id: `ssrf_${Date.now().toString(36)}`,
      version: 1,
      name: 'reads the local DynamoDB',
      steps: [
        {
          id: 'probe',
          type: 'http',
          params: { method: 'POST', url: `${endpoints.dynamodb}/`, body: { TableName: endpoints.tableName } },
          // Only the guard is under test here, not how Step Functions retries its error.
          retry: { maxAttempts: 0 },
        },
      ],
    };
    expect((await call('POST', '/workflows', workflow)).status).toBe(201);
    const started = await call('POST', '/tasks', { workflowId: workflow.id });
    expect(started.status).toBe(201);
    const taskId = started.body.taskId as string;

    let task: Record<string, unknown> = {};
    await expect
      .poll(
        async () => {
          task = (await call('GET', `/tasks/${taskId}`)).body;
          return task.status;
        },
        { timeout: 20_000, interval: 100 },
      )
      .toBe('FAILED');
    expect(task.error).toBe('OutboundAddressRefused');
    expect(String(task.cause)).toContain(`Refused to connect to ${target.host}`);
    expect(task.steps).toEqual([
      expect.objectContaining({ stepId: 'probe', status: 'FAILED', error: 'OutboundAddressRefused' }),
    ]);
  });
});
