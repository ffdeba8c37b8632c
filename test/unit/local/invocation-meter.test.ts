// The local Lambda runtime meters each invocation for the bench's cost table: the function, its memory,
// the handler's time (not the module's load), and the API route or EventBridge source that invoked it.
import { describe, expect, it } from 'vitest';
import { LambdaRuntime } from '../../../local/lambda-runtime';
import { LOCAL_AWS } from '../../../local/settings';

const shape = { folder: 'probe', memoryMb: 512, timeoutSeconds: 5, description: 'test' };

const probe = {
  shape,
  load: async () => {
    await new Promise((resolve) => setTimeout(resolve, 500)); // a slow module init
    return async (event: unknown) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return event;
    };
  },
};

describe('LambdaRuntime meter', () => {
  it('keeps no record of invocations unless asked to (npm start runs for days)', async () => {
    const runtime = new LambdaRuntime(LOCAL_AWS, { probe });
    await runtime.invoke('probe', { routeKey: 'POST /tasks' });
    expect(runtime.meter).toBeUndefined();
  });

  it('records the handler time without the module load, with the route, authorizer or event source', async () => {
    const runtime = new LambdaRuntime(LOCAL_AWS, { probe }, { meterInvocations: true });
    await runtime.invoke('probe', { routeKey: 'POST /tasks' });
    await runtime.invoke('probe', { type: 'REQUEST', routeKey: 'POST /tasks' });
    await runtime.invoke('probe', { source: 'aws.states' });
    const [api, authorizer, event] = runtime.meter?.invocations() ?? [];
    expect(api).toMatchObject({ folder: 'probe', memoryMb: 512, routeKey: 'POST /tasks' });
    expect(api?.authorizer).toBeUndefined();
    expect(api?.durationMs).toBeGreaterThanOrEqual(15);
    expect(api?.durationMs).toBeLessThan(500);
    expect(authorizer).toMatchObject({ routeKey: 'POST /tasks', authorizer: true });
    expect(event).toMatchObject({ source: 'aws.states' });
    expect(runtime.meter?.invocations()).toHaveLength(3);
  });
});
