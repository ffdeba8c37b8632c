// Helpers for asserting on compiled ASL: asl-validator (no type declarations) and the happens-before
// relation between step states that the state machine's structure guarantees.
import { createRequire } from 'node:module';
import type { AslDefinition, AslState } from '../../../functions/shared/workflows/compile-workflow';

type AslValidator = (
  definition: unknown,
  options?: { checkPaths?: boolean; checkArn?: boolean },
) => { isValid: boolean; errorsText: (separator?: string) => string };

const aslValidator = createRequire(import.meta.url)('asl-validator') as AslValidator;

/** asl-validator writes a default QueryLanguage into the states it checks: give it a copy. */
export const validateAsl: AslValidator = (definition, options) =>
  aslValidator(structuredClone(definition), options);

interface Machine {
  StartAt: string;
  States: Record<string, AslState>;
}

/**
 * For each step id, the steps certainly finished before it starts, following the main path (Next, a
 * Choice's taken branch, Parallel branches, a Map as a unit; not Catch or skip paths).
 */
export function finishedBefore(asl: AslDefinition, stepIds: readonly string[]): Map<string, Set<string>> {
  const steps = new Set(stepIds);
  const before = new Map<string, Set<string>>();
  const walk = (machine: Machine, done: Set<string>): Set<string> => {
    let finished = new Set(done);
    let name: string | undefined = machine.StartAt;
    while (name !== undefined) {
      const state: AslState | undefined = machine.States[name];
      if (!state) throw new Error(`missing state ${name}`);
      if (steps.has(name)) {
        before.set(name, new Set(finished));
        finished.add(name);
      }
      if (state.Type === 'Parallel') {
        const results = (state.Branches as Machine[]).map((branch) => walk(branch, finished));
        finished = new Set(results.flatMap((r) => [...r]));
      }
      if (state.Type === 'Choice') {
        name = (state.Choices as { Next: string }[])[0]?.Next;
        continue;
      }
      name = state.End ? undefined : (state.Next as string | undefined);
    }
    return finished;
  };
  walk(asl, new Set());
  return before;
}

/** All state names of a machine, branches and item processors included. */
export function allStates(machine: Machine): Record<string, AslState> {
  const result: Record<string, AslState> = {};
  for (const [name, state] of Object.entries(machine.States)) {
    result[name] = state;
    for (const branch of (state.Branches as Machine[] | undefined) ?? [])
      Object.assign(result, allStates(branch));
    const processor = state.ItemProcessor as Machine | undefined;
    if (processor) Object.assign(result, allStates(processor));
  }
  return result;
}
