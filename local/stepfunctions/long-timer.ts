// A timer for Step Functions' delays, which run up to a year (a Wait, a Task's or an execution's
// TimeoutSeconds, an approval's wait): Node's setTimeout fires after 1 ms for a delay past 2^31-1 ms (about
// 24.8 days), so a longer one is waited in slices. The interpreter's own timers get the same treatment in
// patches/aws-local-stepfunctions+3.0.0.patch.

/** The largest delay setTimeout honours. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface LongTimer {
  id: NodeJS.Timeout | undefined;
}

export function setLongTimeout(callback: () => void, ms: number): LongTimer {
  const timer: LongTimer = { id: undefined };
  const arm = (remaining: number) => {
    timer.id = setTimeout(
      () => (remaining > MAX_TIMER_MS ? arm(remaining - MAX_TIMER_MS) : callback()),
      Math.min(remaining, MAX_TIMER_MS),
    );
  };
  arm(ms);
  return timer;
}

export function clearLongTimeout(timer: LongTimer | undefined): void {
  if (timer) clearTimeout(timer.id);
}
