// A clock for what moves between refetches (a running task's duration, a worker's heartbeat age).
import { useEffect, useState } from 'react';

/**
 * The time in whole `ms`, moving on every `ms` while `running` (still once it stops): whole steps, so a
 * memo keyed on it (a table's rows) is recomputed once per step, not on every render.
 */
export function useClock(ms: number, running = true): number {
  const [now, setNow] = useState(() => Math.floor(Date.now() / ms) * ms);
  useEffect(() => {
    if (!running) return;
    const tick = () => setNow(Math.floor(Date.now() / ms) * ms);
    tick();
    const timer = setInterval(tick, ms);
    return () => clearInterval(timer);
  }, [ms, running]);
  return now;
}
