// Failure injection through step params, so every Retry/Catch path can be driven from a workflow
// definition alone (in tests here, on LocalStack and on AWS alike):
//   "simulate": { "failUntilAttempt": 3 }   attempts 1 and 2 throw SimulatedFailure, 3 runs normally
//   "simulate": { "fail": true }            every attempt throws SimulatedFailure
//   "simulate": { "sleepSeconds": 10 }      the attempt sleeps first (to run past a step timeout)
import * as z from '../zod-mini';

export const SimulateSchema = z.strictObject({
  failUntilAttempt: z.optional(z.int().check(z.gte(1))),
  fail: z.optional(z.boolean()),
  error: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
  sleepSeconds: z.optional(z.number().check(z.gte(0), z.lte(900))),
});

export type Simulate = z.infer<typeof SimulateSchema>;

export class SimulatedFailure extends Error {
  override name = 'SimulatedFailure';
}

export async function applySimulation(
  simulate: Simulate | undefined,
  attempt: number,
  sleep: (ms: number) => Promise<void>,
): Promise<void> {
  if (!simulate) return;
  if (simulate.sleepSeconds) await sleep(simulate.sleepSeconds * 1000);
  const failing =
    simulate.fail || (simulate.failUntilAttempt !== undefined && attempt < simulate.failUntilAttempt);
  if (failing) {
    const error = new SimulatedFailure(`Simulated failure on attempt ${attempt}`);
    if (simulate.error) error.name = simulate.error;
    throw error;
  }
}
