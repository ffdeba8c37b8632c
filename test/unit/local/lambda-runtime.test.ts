import { describe, expect, it } from 'vitest';
import { type LambdaHandler, LambdaRuntime, type LocalFunction } from '../../../local/lambda-runtime';
import { LOCAL_AWS } from '../../../local/settings';

function fn(folder: string, timeoutSeconds: number, handler: LambdaHandler): LocalFunction {
  return { shape: { folder, timeoutSeconds, memoryMb: 128, description: '' }, load: async () => handler };
}

describe('LambdaRuntime', () => {
  const runtime = new LambdaRuntime(LOCAL_AWS, {
    echo: fn('echo', 5, async (event, context) => ({ event, name: context.functionName })),
    slow: fn('slow', 0.05, () => new Promise((resolve) => setTimeout(resolve, 1_000))),
  });

  it('invokes a function by key, name or ARN with a Lambda context', async () => {
    expect(await runtime.invoke('echo', 1)).toEqual({ event: 1, name: 'stepwise-echo' });
    expect(await runtime.invokeByName('stepwise-echo', 2)).toEqual({ event: 2, name: 'stepwise-echo' });
    expect(await runtime.invokeByName(runtime.arn('echo'), 3)).toEqual({ event: 3, name: 'stepwise-echo' });
    expect(await runtime.invokeByName(`${runtime.arn('echo')}:$LATEST`, 4)).toMatchObject({ event: 4 });
  });

  it("fails an invocation that runs past the function's timeout, as Lambda does", async () => {
    await expect(runtime.invoke('slow', {})).rejects.toMatchObject({ name: 'Sandbox.Timedout' });
  });

  it('fails with ResourceNotFoundException for an unknown function', async () => {
    await expect(runtime.invokeByName('arn:aws:lambda:us-east-1:0:function:nope', {})).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});
