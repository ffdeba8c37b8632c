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

  it('tells when the handler of a timed-out invocation, which runs on, has ended', async () => {
    let finish: () => void = () => undefined;
    let ended = false;
    const overrunning = new LambdaRuntime(LOCAL_AWS, {
      stuck: fn('stuck', 0.05, async () => {
        await new Promise<void>((resolve) => {
          finish = resolve;
        });
        ended = true;
      }),
    });
    await overrunning.whenOverrunEnds('stuck'); // none yet: at once
    await expect(overrunning.invoke('stuck', {})).rejects.toMatchObject({ name: 'Sandbox.Timedout' });
    let overrun = false;
    const waited = overrunning.whenOverrunEnds('stuck').then(() => {
      overrun = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(overrun).toBe(false);
    finish();
    await waited;
    expect(ended).toBe(true);
    await overrunning.whenOverrunEnds('stuck');
  });

  it('holds every invocation until the handlers are configured: no handler loads before', async () => {
    let configure: () => void = () => undefined;
    const configured = new Promise<void>((resolve) => {
      configure = resolve;
    });
    const loads: number[] = [];
    const held = new LambdaRuntime(
      LOCAL_AWS,
      {
        echo: {
          ...fn('echo', 5, async (event) => event),
          load: async (attempt) => {
            loads.push(attempt);
            return async (event) => event;
          },
        },
      },
      { configured },
    );
    let answered = false;
    const invocation = held.invokeByName('stepwise-echo', 'hello').then((answer) => {
      answered = true;
      return answer;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect({ answered, loads }).toEqual({ answered: false, loads: [] });
    configure();
    expect(await invocation).toBe('hello');
    expect(loads).toEqual([0]);
  });

  it('loads a fresh module after a load that failed, as a new container would', async () => {
    const attempts: number[] = [];
    const flaky = new LambdaRuntime(LOCAL_AWS, {
      flaky: {
        ...fn('flaky', 5, async () => undefined),
        load: async (attempt) => {
          attempts.push(attempt);
          if (attempt === 0) throw new Error('Missing required environment variable TABLE_NAME');
          return async () => 'loaded';
        },
      },
    });
    await expect(flaky.invoke('flaky', {})).rejects.toThrow(/TABLE_NAME/);
    expect(await flaky.invoke('flaky', {})).toBe('loaded');
    expect(await flaky.invoke('flaky', {})).toBe('loaded');
    expect(attempts).toEqual([0, 1]);
  });

  it('fails with ResourceNotFoundException for an unknown function', async () => {
    await expect(runtime.invokeByName('arn:aws:lambda:us-east-1:0:function:nope', {})).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});
