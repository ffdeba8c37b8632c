// Parses and validates ASL, and adapts it where aws-local-stepfunctions differs from AWS before handing it
// to the interpreter. The adaptations are pure functions, so each is unit-tested on its own.
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { invalidDefinition } from './errors';

export type AslState = Record<string, unknown> & { Type: string };
export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  TimeoutSeconds?: number;
  QueryLanguage?: string;
  [field: string]: unknown;
}

/** A Task state as the task runner needs it: the fields the interpreter does not act on itself. */
export interface TaskStateDefinition {
  readonly Resource: string;
  readonly TimeoutSeconds?: number;
  readonly TimeoutSecondsPath?: string;
  readonly HeartbeatSeconds?: number;
}

/**
 * aws-local-stepfunctions times out a Task without `TimeoutSeconds` after 60 s; AWS has no such limit
 * (only the execution's own timeout applies). The interpreter arms a `setTimeout` per Task, so the
 * largest delay a Node timer accepts (2^31-1 ms, about 24.8 days) stands in for "no limit".
 */
export const UNLIMITED_TASK_TIMEOUT_SECONDS = 2_147_483;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every state map of the definition: the top level, Parallel branches and Map item processors. */
function* stateMaps(definition: { States?: unknown }): Generator<Record<string, AslState>> {
  if (!isObject(definition.States)) return;
  const states = definition.States as Record<string, AslState>;
  yield states;
  for (const state of Object.values(states)) {
    if (!isObject(state)) continue;
    if (state.Type === 'Parallel' && Array.isArray(state.Branches)) {
      for (const branch of state.Branches) if (isObject(branch)) yield* stateMaps(branch);
    }
    const processor = state.ItemProcessor ?? state.Iterator;
    if (state.Type === 'Map' && isObject(processor)) yield* stateMaps(processor);
  }
}

/** Task states by name. ASL requires state names to be unique across the whole machine, branches included. */
export function collectTaskStates(definition: AslDefinition): Map<string, TaskStateDefinition> {
  const tasks = new Map<string, TaskStateDefinition>();
  for (const states of stateMaps(definition)) {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task') tasks.set(name, state as unknown as TaskStateDefinition);
    }
  }
  return tasks;
}

/**
 * Returns a copy the interpreter can run with AWS semantics:
 * - a Task without `TimeoutSeconds`/`TimeoutSecondsPath` gets {@link UNLIMITED_TASK_TIMEOUT_SECONDS};
 * - on AWS a missed heartbeat (error `States.HeartbeatTimeout`) is also matched by `States.Timeout`; the
 *   interpreter matches one name per error, so a retrier or catcher of a Task with `HeartbeatSeconds` that
 *   lists `States.Timeout` also gets `States.HeartbeatTimeout`.
 */
export function adaptForInterpreter(definition: AslDefinition): AslDefinition {
  const copy = structuredClone(definition);
  for (const states of stateMaps(copy)) {
    for (const state of Object.values(states)) {
      if (state.Type !== 'Task') continue;
      if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
        state.TimeoutSeconds = UNLIMITED_TASK_TIMEOUT_SECONDS;
      }
      if (state.HeartbeatSeconds === undefined && state.HeartbeatSecondsPath === undefined) continue;
      for (const handler of [state.Retry, state.Catch]) {
        if (!Array.isArray(handler)) continue;
        for (const rule of handler) {
          const errors = isObject(rule) && Array.isArray(rule.ErrorEquals) ? rule.ErrorEquals : [];
          if (errors.includes('States.Timeout') && !errors.includes('States.HeartbeatTimeout')) {
            errors.push('States.HeartbeatTimeout');
          }
        }
      }
    }
  }
  return copy;
}

/** Checks AWS makes that asl-validator does not, and features the interpreter would silently ignore. */
function checkBeyondSchema(definition: AslDefinition): void {
  if (definition.QueryLanguage === 'JSONata') {
    throw invalidDefinition('JSONata is not supported by the local endpoint (the interpreter ignores it)');
  }
  for (const states of stateMaps(definition)) {
    for (const [name, state] of Object.entries(states)) {
      if (!isObject(state)) continue;
      if (state.QueryLanguage === 'JSONata') {
        throw invalidDefinition(`State ${name}: JSONata is not supported by the local endpoint`);
      }
      const { HeartbeatSeconds: heartbeat, TimeoutSeconds: timeout } = state;
      if (typeof heartbeat === 'number' && typeof timeout === 'number' && heartbeat >= timeout) {
        throw invalidDefinition(`State ${name}: HeartbeatSeconds must be smaller than TimeoutSeconds`);
      }
    }
  }
}

export function parseDefinition(text: unknown): AslDefinition {
  if (typeof text !== 'string') throw invalidDefinition('definition must be a JSON string');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw invalidDefinition(`definition is not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(parsed)) throw invalidDefinition('definition must be a JSON object');
  return parsed as AslDefinition;
}

/** The parsed definition, its Task states and the interpreter for it. */
export interface CompiledDefinition {
  readonly definition: AslDefinition;
  readonly tasks: Map<string, TaskStateDefinition>;
  readonly interpreter: StateMachine;
}

/**
 * Validates and compiles definitions, one interpreter per distinct definition text (so per state machine
 * version): constructing one runs asl-validator, which takes tens of milliseconds.
 */
export class DefinitionCache {
  private readonly compiled = new Map<string, CompiledDefinition>();

  compile(text: string): CompiledDefinition {
    const cached = this.compiled.get(text);
    if (cached) return cached;
    const definition = parseDefinition(text);
    checkBeyondSchema(definition);
    let interpreter: StateMachine;
    try {
      interpreter = new StateMachine(adaptForInterpreter(definition) as unknown as StateMachineDefinition, {
        validationOptions: { checkArn: true, checkPaths: true },
      });
    } catch (error) {
      throw invalidDefinition((error as Error).message);
    }
    const result = { definition, tasks: collectTaskStates(definition), interpreter };
    this.compiled.set(text, result);
    return result;
  }
}
