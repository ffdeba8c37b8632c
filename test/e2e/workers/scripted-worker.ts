// The handler of the worker e2e tests, scripted by the step's input (`script`): how long it works, whether
// it fails (with which error name), or whether it waits for its signal. It prints what happens to it on
// lines of its own (`[handler] ...`), which the tests wait on.
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentStepContext } from '../../../sdk/index';

export interface Script {
  /** How long the step works, in ms. */
  readonly workMs?: number;
  /** How long its first attempt works instead, in ms (a step that outlasts what a test does to its worker). */
  readonly firstAttemptMs?: number;
  /** Work until the signal aborts (the task is cancelled, or the worker stops). */
  readonly untilAborted?: boolean;
  /** Throw an error with this name and message once the work is done. */
  readonly failWith?: { readonly name: string; readonly message: string };
}

export async function handler({
  input,
  task,
  step,
  attempt,
  workerId,
  signal,
}: AgentStepContext<{ script?: Script }>) {
  const script = input.script ?? {};
  const which = `${task.id} ${step.id}${step.mapIndex === undefined ? '' : `[${step.mapIndex}]`}`;
  console.log(`[handler] started ${which} attempt ${attempt}`);
  try {
    if (script.untilAborted) await sleep(600_000, undefined, { signal });
    else {
      const workMs = attempt === 1 ? (script.firstAttemptMs ?? script.workMs) : script.workMs;
      if (workMs) await sleep(workMs, undefined, { signal });
    }
  } catch (error) {
    if (signal.aborted) console.log(`[handler] aborted ${which}: ${(signal.reason as Error).name}`);
    throw error;
  }
  if (script.failWith)
    throw Object.assign(new Error(script.failWith.message), { name: script.failWith.name });
  console.log(`[handler] finished ${which}`);
  return { ranBy: workerId, attempt };
}
