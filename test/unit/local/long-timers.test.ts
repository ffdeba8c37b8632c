// Step Functions' timers run up to a year; Node's setTimeout fires after 1 ms past 2^31-1 ms (24.8 days).
// The local interpreter (patched) and task runner wait such delays in slices, so a 30-day Wait still waits
// and a 30-day execution timeout does not end the execution at once.
import { StateMachine } from 'aws-local-stepfunctions';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { clearLongTimeout, MAX_TIMER_MS, setLongTimeout } from '../../../local/stepfunctions/long-timer';
import { TaskTokens } from '../../../local/stepfunctions/task-tokens';

const THIRTY_DAYS_S = 30 * 24 * 3600;
const settledWithin = (promise: Promise<unknown>, ms: number) =>
  Promise.race([
    promise.then(
      () => 'settled',
      () => 'settled',
    ),
    new Promise((r) => setTimeout(() => r('pending'), ms)),
  ]);

describe('setLongTimeout', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('calls back after a delay past 2^31-1 ms, not before', () => {
    vi.useFakeTimers();
    const called = vi.fn();
    setLongTimeout(called, THIRTY_DAYS_S * 1000);
    vi.advanceTimersByTime(MAX_TIMER_MS);
    expect(called).not.toHaveBeenCalled();
    vi.advanceTimersByTime(THIRTY_DAYS_S * 1000 - MAX_TIMER_MS);
    expect(called).toHaveBeenCalledTimes(1);
  });

  it('is cleared in any slice', () => {
    vi.useFakeTimers();
    const called = vi.fn();
    const timer = setLongTimeout(called, THIRTY_DAYS_S * 1000);
    vi.advanceTimersByTime(MAX_TIMER_MS + 1);
    clearLongTimeout(timer);
    vi.advanceTimersByTime(THIRTY_DAYS_S * 1000);
    expect(called).not.toHaveBeenCalled();
  });
});

describe('a task token with a HeartbeatSeconds past 24.8 days', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits that long for a heartbeat, then times out', async () => {
    vi.useFakeTimers();
    const tokens = new TaskTokens();
    const token = tokens.mint();
    let ended: string | undefined;
    const outcome = tokens.wait(token, THIRTY_DAYS_S).catch((error: Error) => {
      ended = error.name;
    });
    await vi.advanceTimersByTimeAsync(MAX_TIMER_MS + 1);
    expect(ended).toBeUndefined();
    await vi.advanceTimersByTimeAsync(THIRTY_DAYS_S * 1000);
    await outcome;
    expect(ended).toBe('States.HeartbeatTimeout');
  });
});

describe('the local interpreter with delays past 24.8 days', () => {
  it('keeps waiting in a Wait of 30 days', async () => {
    const machine = new StateMachine({
      StartAt: 'Wait',
      States: { Wait: { Type: 'Wait', Seconds: THIRTY_DAYS_S, End: true } },
    });
    const execution = machine.run({});
    expect(await settledWithin(execution.result, 300)).toBe('pending');
    execution.abort();
    await execution.result.catch(() => undefined);
  });

  it('does not time out at once an execution whose TimeoutSeconds is 30 days', async () => {
    const machine = new StateMachine({
      TimeoutSeconds: THIRTY_DAYS_S,
      StartAt: 'Done',
      States: { Done: { Type: 'Pass', Result: 'ok', End: true } },
    });
    await expect(machine.run({}).result).resolves.toBe('ok');
  });
});
