// Validates a raw workflow definition: first its shape (the zod schema), then what a schema cannot say
// (ids, the dependency graph, what conditions and references may read). Every problem is one
// ValidationIssue with the rule it breaks, a message naming the step and field, and the field path
// (`steps[2].retry.backoffRate`, `steps[0].steps[1].when.path`). Throws nothing: the HTTP layer turns
// `errors` into a 400 (errors[0].message as the message, all of them as details).
import parseExpression from 'jsonata/parser';
import { nonLinearRegexIn } from '../actions/linear-regex';
import { ACTION_PARAM_KEYS } from '../actions/param-keys';
import { MAX_EXPRESSION_LENGTH } from '../actions/transform-limits';
import { shownText } from '../http/shown-text';
import type * as z from '../zod-mini';
import {
  type Condition,
  DEFAULT_AGENT_HEARTBEAT_SECONDS,
  DEFAULT_RETRY_POLICY,
  DEFAULT_STEP_TIMEOUT_SECONDS,
  MAX_RUNNABLE_STEP_TIMEOUT_SECONDS,
  type RetryPolicy,
  RUNNABLE_STEP_TYPES,
  type RunnableStep,
  STEP_TYPES,
  type Step,
  type WorkflowDefinition,
  WorkflowDefinitionSchema,
} from './definition';
import { compileInputSchema, InvalidInputSchemaError } from './input-schema';

export const VALIDATION_RULES = [
  'schema',
  'unique-step-ids',
  'unknown-dependency',
  'self-dependency',
  'cycle',
  'no-entry-step',
  'unreachable-step',
  'retry-range',
  'timeout-range',
  'invalid-condition',
  'unknown-step-type',
  'invalid-reference',
  'invalid-input-schema',
  'nested-map',
  'invalid-expression',
  'invalid-params',
] as const;
export type ValidationRule = (typeof VALIDATION_RULES)[number];

export interface ValidationIssue {
  readonly rule: ValidationRule;
  readonly message: string;
  readonly stepId?: string;
  readonly field?: string;
}

export type ValidationResult =
  | { readonly ok: true; readonly definition: WorkflowDefinition }
  | { readonly ok: false; readonly errors: ValidationIssue[] };

export function validateWorkflow(raw: unknown): ValidationResult {
  const parsed = WorkflowDefinitionSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, errors: parsed.error.issues.map((i) => fromZodIssue(i, raw)) };
  const definition = parsed.data;
  const errors = [
    ...checkInputSchema(definition),
    ...checkUniqueIds(definition.steps, 'steps'),
    ...checkWorkflowLimits(definition),
    ...checkScope(definition.steps, 'steps', {
      definition,
      inMap: false,
      inputProperties: declaredInputProperties(definition.inputSchema),
    }),
  ];
  return errors.length === 0 ? { ok: true, definition } : { ok: false, errors };
}

// ---- schema issues ---------------------------------------------------------------------------------

const fieldPath = (path: readonly PropertyKey[]): string =>
  path.reduce<string>((field, key) => {
    if (typeof key === 'number') return `${field}[${key}]`;
    return field === '' ? String(key) : `${field}.${String(key)}`;
  }, '');

/** The id of the innermost step a schema issue's path is in, read from the raw input. */
function stepIdAt(raw: unknown, path: readonly PropertyKey[]): string | undefined {
  let node: unknown = raw;
  let id: string | undefined;
  for (let i = 0; i < path.length; i++) {
    const key = path[i];
    if (typeof node !== 'object' || node === null || key === undefined) break;
    node = (node as Record<PropertyKey, unknown>)[key as string];
    if (path[i - 1] === 'steps' && typeof key === 'number') {
      const candidate = (node as { id?: unknown } | undefined)?.id;
      id = typeof candidate === 'string' ? candidate : undefined;
    }
  }
  return id;
}

function fromZodIssue(issue: z.core.$ZodIssue, raw: unknown): ValidationIssue {
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : issue.path;
  // The path's keys and the step id are the client's, and may be what failed: shown cut and escaped.
  const field = shownText(fieldPath(path), 200);
  const rawStepId = stepIdAt(raw, issue.path);
  const stepId = rawStepId === undefined ? undefined : shownText(rawStepId);
  const where = stepId ? `Step '${stepId}' (${field})` : field ? field : 'The workflow definition';
  const last = path.at(-1);
  const withStep = (rule: ValidationRule, message: string): ValidationIssue => ({
    rule,
    message: `${where}: ${message}`,
    ...(stepId && { stepId }),
    ...(field && { field }),
  });
  if (issue.code === 'invalid_union' && last === 'type' && 'note' in issue) {
    const type = stepTypeAt(raw, issue.path);
    return withStep(
      'unknown-step-type',
      // Shown as a message shows a client's text: a 200 KB or bidi-overridden type is not sent back as is.
      `unknown step type ${shownType(type)}; expected one of ${STEP_TYPES.join(', ')}`,
    );
  }
  const message = describeZodIssue(issue);
  if (path.includes('when')) return withStep('invalid-condition', message);
  const range = issue.code === 'too_big' || issue.code === 'too_small';
  if (range && path.includes('retry')) return withStep('retry-range', message);
  if (range && last === 'timeoutSeconds') return withStep('timeout-range', message);
  return withStep('schema', message);
}

const shownType = (type: unknown) =>
  typeof type === 'string' ? `"${shownText(type)}"` : shownText(JSON.stringify(type) ?? String(type));

function stepTypeAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let node: unknown = raw;
  for (const key of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key as string];
  }
  return node;
}

function describeZodIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) return 'is required';
  if (issue.code === 'unrecognized_keys') return `unknown field (${shownText(issue.keys.join(', '), 200)})`;
  return issue.message;
}

// ---- semantic checks -------------------------------------------------------------------------------

function checkInputSchema(definition: WorkflowDefinition): ValidationIssue[] {
  if (!definition.inputSchema) return [];
  try {
    compileInputSchema(definition.inputSchema);
    return [];
  } catch (error) {
    if (!(error instanceof InvalidInputSchemaError)) throw error;
    return [{ rule: 'invalid-input-schema', field: error.field, message: error.message }];
  }
}

/** A `transform` step's literal JSONata expression, compiled now so a syntax error fails registration. */
function checkExpression(step: Step, field: string): ValidationIssue | undefined {
  if (step.type !== 'transform') return undefined;
  const expression = step.params?.expression;
  // `expression.$` resolves at run time, where the step runner checks it.
  if (expression === undefined && step.params?.['expression.$'] !== undefined) return undefined;
  if (
    typeof expression !== 'string' ||
    expression.length === 0 ||
    expression.length > MAX_EXPRESSION_LENGTH
  ) {
    return {
      rule: 'invalid-expression',
      stepId: step.id,
      field: `${field}.params.expression`,
      message: `Step '${step.id}' (${field}.params.expression): a transform step needs a JSONata expression, a string of 1 to ${MAX_EXPRESSION_LENGTH} characters (or expression.$)`,
    };
  }
  try {
    const nonLinear = nonLinearRegexIn(parseExpression(expression));
    return nonLinear
      ? {
          rule: 'invalid-expression',
          stepId: step.id,
          field: `${field}.params.expression`,
          message: `Step '${step.id}' (${field}.params.expression): ${nonLinear}`,
        }
      : undefined;
  } catch (error) {
    const { message, position } = (typeof error === 'object' && error !== null ? error : {}) as {
      message?: unknown;
      position?: unknown;
    };
    const where = typeof position === 'number' ? ` at position ${position}` : '';
    return {
      rule: 'invalid-expression',
      stepId: step.id,
      field: `${field}.params.expression`,
      message: `Step '${step.id}' (${field}.params.expression): JSONata syntax error${where}: ${String(message ?? error)}`,
    };
  }
}

const nonEmpty = (value: unknown) => typeof value === 'string' && value !== '';

/** Per action, the param it cannot run without: its name, its check, and what the check wants. */
const REQUIRED_PARAMS: Record<
  'http' | 'llm' | 'lambda',
  readonly [string, (value: unknown) => boolean, string]
> = {
  http: [
    'url',
    (value) => URL.canParse(String(value)) && /^https?:$/.test(new URL(String(value)).protocol),
    'an absolute http(s) URL',
  ],
  llm: ['prompt', nonEmpty, 'a non-empty string'],
  lambda: ['functionArn', nonEmpty, 'a function ARN'],
};

/**
 * The param without which an `http`, `llm` or `lambda` step fails every task with InvalidStepParams, when
 * it is static: a `.$` value resolves at run time, where the step runner checks it (actions/http.ts,
 * llm/llm-action.ts, actions/lambda.ts). A step set to fail always (`simulate.fail`) never reaches its action.
 */
function checkStaticParams(step: Step, field: string): ValidationIssue | undefined {
  if (step.type !== 'http' && step.type !== 'llm' && step.type !== 'lambda') return undefined;
  const params = step.params ?? {};
  const simulate = params.simulate as { fail?: unknown } | undefined;
  if (simulate?.fail === true) return undefined;
  const [name, valid, needs] = REQUIRED_PARAMS[step.type];
  if (valid(params[name]) || params[`${name}.$`] !== undefined) return undefined;
  const where = `${field}.params.${name}`;
  return {
    rule: 'invalid-params',
    stepId: step.id,
    field: where,
    message: `Step '${step.id}' (${where}): an ${step.type} step needs ${name}: ${needs} (or ${name}.$), got ${params[name] === undefined ? 'none' : shownText(JSON.stringify(params[name]), 100)}`,
  };
}

/** What each runnable step's params may hold (actions/param-keys.ts), besides `simulate` (steps/simulate.ts). */
const PARAM_KEYS: Readonly<Record<string, ReadonlySet<string>>> = Object.fromEntries(
  Object.entries(ACTION_PARAM_KEYS).map(([type, keys]) => [type, new Set([...keys, 'simulate'])]),
);

/**
 * A runnable step's params are a strict object: any other key, given as a value or as `.$`, fails every task
 * with InvalidStepParams, so it is refused now, naming the key and the ones the step takes.
 */
function checkParamKeys(step: Step, field: string): ValidationIssue | undefined {
  const known = PARAM_KEYS[step.type];
  if (!known || !('params' in step)) return undefined;
  const unknown = Object.keys(step.params ?? {}).find((key) => !known.has(key.replace(/\.\$$/, '')));
  if (unknown === undefined) return undefined;
  const where = `${field}.params.${shownText(unknown)}`;
  const takes = ACTION_PARAM_KEYS[step.type as keyof typeof ACTION_PARAM_KEYS].join(', ');
  return {
    rule: 'invalid-params',
    stepId: step.id,
    field: where,
    message: `Step '${step.id}' (${where}): a ${step.type} step takes ${takes} (each also as .$), not this param`,
  };
}

/** The first param (at any depth) given both as a value and as a `.$` reference, which Step Functions refuses. */
function duplicateParam(params: unknown, field: string): { field: string; key: string } | undefined {
  if (typeof params !== 'object' || params === null) return undefined;
  for (const [key, value] of Object.entries(params)) {
    const where = Array.isArray(params) ? `${field}[${key}]` : `${field}.${key}`;
    if (!Array.isArray(params) && !key.endsWith('.$') && Object.hasOwn(params, `${key}.$`)) {
      return { field: where, key };
    }
    const nested = duplicateParam(value, where);
    if (nested) return nested;
  }
  return undefined;
}

function declaredInputProperties(schema: Record<string, unknown> | undefined): Set<string> | undefined {
  const properties = schema?.properties;
  if (typeof properties !== 'object' || properties === null) return undefined;
  // With additional properties allowed, an undeclared name may still be present.
  if (schema?.additionalProperties !== undefined && schema.additionalProperties !== false) return undefined;
  return new Set(Object.keys(properties));
}

/** Step ids are unique across the whole workflow, map sub-steps included (step records key on them). */
function checkUniqueIds(steps: readonly Step[], prefix: string): ValidationIssue[] {
  const seen = new Map<string, string>();
  const issues: ValidationIssue[] = [];
  const visit = (list: readonly Step[], at: string) => {
    list.forEach((step, i) => {
      const field = `${at}[${i}].id`;
      const first = seen.get(step.id);
      if (first) {
        issues.push({
          rule: 'unique-step-ids',
          stepId: step.id,
          field,
          message: `Step id '${step.id}' is used more than once (${first} and ${field}); step ids must be unique in the workflow, map sub-steps included`,
        });
      } else seen.set(step.id, field);
      if (step.type === 'map') visit(step.steps, `${at}[${i}].steps`);
    });
  };
  visit(steps, prefix);
  return issues;
}

function effectiveRetry(definition: WorkflowDefinition, own?: RetryPolicy): Required<RetryPolicy> {
  return { ...DEFAULT_RETRY_POLICY, ...definition.defaults?.retry, ...own };
}

function checkWorkflowLimits(definition: WorkflowDefinition): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const retry = definition.defaults?.retry;
  if (retry) {
    const effective = effectiveRetry(definition);
    if (effective.maxDelaySeconds < effective.intervalSeconds) {
      issues.push({
        rule: 'retry-range',
        field: 'defaults.retry.maxDelaySeconds',
        message: `defaults.retry.maxDelaySeconds (${effective.maxDelaySeconds}) is below intervalSeconds (${effective.intervalSeconds})`,
      });
    }
  }
  const total = definition.timeoutSeconds;
  const stepDefault = definition.defaults?.timeoutSeconds;
  if (total !== undefined && stepDefault !== undefined && stepDefault > total) {
    issues.push({
      rule: 'timeout-range',
      field: 'defaults.timeoutSeconds',
      message: `defaults.timeoutSeconds (${stepDefault}) exceeds the workflow timeoutSeconds (${total})`,
    });
  }
  return issues;
}

const isRunnable = (step: Step): step is RunnableStep =>
  (RUNNABLE_STEP_TYPES as readonly string[]).includes(step.type);

interface ScopeEnv {
  readonly definition: WorkflowDefinition;
  readonly inMap: boolean;
  /** Declared `inputSchema` properties when the schema closes the input to them. */
  readonly inputProperties: Set<string> | undefined;
}

/** Checks one DAG (the workflow's steps or a map's sub-steps) and, recursively, its maps. */
function checkScope(steps: readonly Step[], prefix: string, env: ScopeEnv): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const at = (i: number) => `${prefix}[${i}]`;
  const byId = new Map<string, Step>();
  for (const step of steps) if (!byId.has(step.id)) byId.set(step.id, step);

  // Dependencies: known, not the step itself. Only valid edges enter the graph.
  const deps = new Map<string, string[]>();
  const selfDependent = new Set<string>();
  steps.forEach((step, i) => {
    const valid: string[] = [];
    (step.dependsOn ?? []).forEach((dep, j) => {
      const field = `${at(i)}.dependsOn[${j}]`;
      if (dep === step.id) {
        selfDependent.add(step.id);
        issues.push({
          rule: 'self-dependency',
          stepId: step.id,
          field,
          message: `Step '${step.id}' (${field}) depends on itself`,
        });
      } else if (!byId.has(dep)) {
        issues.push({
          rule: 'unknown-dependency',
          stepId: step.id,
          field,
          message: `Step '${step.id}' (${field}) depends on '${shownText(dep)}', which is not a step${
            env.inMap ? ' of the same map (map sub-steps can only depend on each other)' : ''
          }`,
        });
      } else if (!valid.includes(dep)) valid.push(dep);
    });
    deps.set(step.id, valid);
  });

  if (!steps.some((s) => (s.dependsOn ?? []).length === 0)) {
    issues.push({
      rule: 'no-entry-step',
      field: prefix,
      message: `${prefix}: every step depends on another step, so none can start; at least one step needs no dependsOn`,
    });
  }

  const cycles = findCycles(steps, deps);
  const inCycle = new Set(cycles.flat());
  for (const cycle of cycles) {
    const first = cycle[0] ?? '';
    const index = steps.findIndex((s) => s.id === first);
    // Printed in run order: `a -> b` means b depends on a.
    const reversed = [...cycle].reverse();
    const at0 = reversed.indexOf(first);
    const order = [...reversed.slice(at0), ...reversed.slice(0, at0)];
    issues.push({
      rule: 'cycle',
      stepId: first,
      field: `${at(index)}.dependsOn`,
      message: `Steps depend on each other in a cycle: ${[...order, order[0]].join(' -> ')} (each must finish before the next)`,
    });
  }

  // Reachable: every dependency can finish (Kahn's algorithm). Steps in a cycle are reported as such.
  const done = new Set<string>();
  for (let progress = true; progress; ) {
    progress = false;
    for (const step of steps) {
      if (done.has(step.id) || selfDependent.has(step.id)) continue;
      if ((deps.get(step.id) ?? []).every((d) => done.has(d))) {
        done.add(step.id);
        progress = true;
      }
    }
  }
  steps.forEach((step, i) => {
    if (done.has(step.id) || inCycle.has(step.id) || selfDependent.has(step.id)) return;
    const blocker = (deps.get(step.id) ?? []).find((d) => !done.has(d)) ?? '';
    const why = inCycle.has(blocker)
      ? 'which is part of a dependency cycle'
      : selfDependent.has(blocker)
        ? 'which depends on itself'
        : 'which can never run either';
    issues.push({
      rule: 'unreachable-step',
      stepId: step.id,
      field: `${at(i)}.dependsOn`,
      message: `Step '${step.id}' can never run: it depends on '${blocker}', ${why}`,
    });
  });

  const ancestors = transitiveDependencies(steps, deps);
  steps.forEach((step, i) => {
    const field = at(i);
    const known = ancestors.get(step.id) ?? new Set<string>();
    const ref = (path: string) => checkReference(path, env, byId, known);
    if (step.when) {
      for (const { path, field: where } of conditionPaths(step.when, `${field}.when`)) {
        const problem = ref(path);
        if (problem) {
          issues.push({
            rule: 'invalid-condition',
            stepId: step.id,
            field: where,
            message: `Step '${step.id}' (${where}): ${problem}`,
          });
        }
      }
    }
    const reference = (where: string, value: unknown) => {
      const problem = checkDynamicValue(value, ref);
      if (problem) {
        issues.push({
          rule: 'invalid-reference',
          stepId: step.id,
          field: where,
          message: `Step '${step.id}' (${where}): ${problem}`,
        });
      }
    };
    if ('params' in step && step.params) {
      for (const { key, value, field: where } of dynamicParams(step.params, `${field}.params`)) {
        reference(where, value);
        void key;
      }
    }
    const expressionIssue = checkExpression(step, field);
    if (expressionIssue) issues.push(expressionIssue);
    const paramsIssue = checkStaticParams(step, field) ?? checkParamKeys(step, field);
    if (paramsIssue) issues.push(paramsIssue);
    const duplicate = 'params' in step ? duplicateParam(step.params, `${field}.params`) : undefined;
    if (duplicate) {
      // The key is the client's: shown cut and escaped.
      const [where, key] = [shownText(duplicate.field, 200), shownText(duplicate.key)];
      issues.push({
        rule: 'invalid-params',
        stepId: step.id,
        field: where,
        message: `Step '${step.id}' (${where}): give ${key} or ${key}.$, not both`,
      });
    }
    if (step.type === 'wait' && step.secondsPath) reference(`${field}.secondsPath`, step.secondsPath);
    if ('retry' in step && step.retry) {
      const retry = effectiveRetry(env.definition, step.retry);
      if (retry.maxDelaySeconds < retry.intervalSeconds) {
        issues.push({
          rule: 'retry-range',
          stepId: step.id,
          field: `${field}.retry.maxDelaySeconds`,
          message: `Step '${step.id}' (${field}.retry.maxDelaySeconds): maxDelaySeconds (${retry.maxDelaySeconds}) is below intervalSeconds (${retry.intervalSeconds})`,
        });
      }
    }
    const total = env.definition.timeoutSeconds;
    if ('timeoutSeconds' in step && step.timeoutSeconds !== undefined && total !== undefined) {
      if (step.timeoutSeconds > total) {
        issues.push({
          rule: 'timeout-range',
          stepId: step.id,
          field: `${field}.timeoutSeconds`,
          message: `Step '${step.id}' (${field}.timeoutSeconds): ${step.timeoutSeconds} exceeds the workflow timeoutSeconds (${total})`,
        });
      }
    }
    const inherited = env.definition.defaults?.timeoutSeconds;
    if (
      isRunnable(step) &&
      step.timeoutSeconds === undefined &&
      inherited !== undefined &&
      inherited > MAX_RUNNABLE_STEP_TIMEOUT_SECONDS
    ) {
      issues.push({
        rule: 'timeout-range',
        stepId: step.id,
        field: 'defaults.timeoutSeconds',
        message: `Step '${step.id}' (${step.type}) would take defaults.timeoutSeconds (${inherited}), over the ${MAX_RUNNABLE_STEP_TIMEOUT_SECONDS} s an http, llm, transform or lambda step may have (it runs in the step runner Lambda, 900 s at most): give it its own timeoutSeconds, or make it an agent step`,
      });
    }
    if (step.type === 'agent') {
      const timeout =
        step.timeoutSeconds ?? env.definition.defaults?.timeoutSeconds ?? DEFAULT_STEP_TIMEOUT_SECONDS;
      const heartbeat = step.heartbeatSeconds ?? DEFAULT_AGENT_HEARTBEAT_SECONDS;
      if (heartbeat >= timeout) {
        issues.push({
          rule: 'timeout-range',
          stepId: step.id,
          field: `${field}.heartbeatSeconds`,
          message: `Step '${step.id}' (${field}.heartbeatSeconds): heartbeatSeconds (${heartbeat}) must be below the step's timeoutSeconds (${timeout}), or a silent worker would never be noticed before the step times out`,
        });
      }
    }
    if (step.type === 'map') {
      reference(`${field}.items`, step.items);
      if (env.inMap) {
        issues.push({
          rule: 'nested-map',
          stepId: step.id,
          field: `${field}.type`,
          message: `Step '${step.id}' (${field}.type): a map step cannot be nested in another map step`,
        });
      } else {
        issues.push(...checkScope(step.steps, `${field}.steps`, { ...env, inMap: true }));
      }
    }
  });
  return issues;
}

/** Each cycle of the graph once (a strongly connected component of 2+ steps), as a path of ids. */
function findCycles(steps: readonly Step[], deps: Map<string, string[]>): string[][] {
  // Tarjan's strongly connected components.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const connect = (id: string) => {
    index.set(id, counter);
    low.set(id, counter);
    counter++;
    stack.push(id);
    onStack.add(id);
    for (const dep of deps.get(id) ?? []) {
      if (!index.has(dep)) {
        connect(dep);
        low.set(id, Math.min(low.get(id) ?? 0, low.get(dep) ?? 0));
      } else if (onStack.has(dep)) low.set(id, Math.min(low.get(id) ?? 0, index.get(dep) ?? 0));
    }
    if (low.get(id) === index.get(id)) {
      const component: string[] = [];
      for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
        onStack.delete(top);
        component.push(top);
        if (top === id) break;
      }
      if (component.length > 1) components.push(component);
    }
  };
  for (const step of steps) if (!index.has(step.id)) connect(step.id);
  // One readable cycle per component: follow dependencies inside it until a step repeats.
  const order = steps.map((s) => s.id);
  return components.map((component) => {
    const members = new Set(component);
    const start = order.find((id) => members.has(id)) ?? component[0] ?? '';
    const path = [start];
    for (;;) {
      const current = path.at(-1) ?? start;
      const nextId = (deps.get(current) ?? []).find((d) => members.has(d)) ?? start;
      const seenAt = path.indexOf(nextId);
      if (seenAt >= 0) return path.slice(seenAt);
      path.push(nextId);
    }
  });
}

function transitiveDependencies(steps: readonly Step[], deps: Map<string, string[]>) {
  const result = new Map<string, Set<string>>();
  for (const step of steps) {
    const seen = new Set<string>();
    const pending = [...(deps.get(step.id) ?? [])];
    for (let id = pending.pop(); id !== undefined; id = pending.pop()) {
      if (seen.has(id)) continue;
      seen.add(id);
      pending.push(...(deps.get(id) ?? []));
    }
    result.set(step.id, seen);
  }
  return result;
}

function conditionPaths(condition: Condition, field: string): { path: string; field: string }[] {
  if ('and' in condition) return condition.and.flatMap((c, i) => conditionPaths(c, `${field}.and[${i}]`));
  if ('or' in condition) return condition.or.flatMap((c, i) => conditionPaths(c, `${field}.or[${i}]`));
  if ('not' in condition) return conditionPaths(condition.not, `${field}.not`);
  return [{ path: condition.path, field: `${field}.path` }];
}

/** `.$` keys of params at any depth, except inside `simulate` (passed through untouched). */
function dynamicParams(params: unknown, field: string): { key: string; value: unknown; field: string }[] {
  if (Array.isArray(params)) return params.flatMap((item, i) => dynamicParams(item, `${field}[${i}]`));
  if (typeof params !== 'object' || params === null) return [];
  return Object.entries(params).flatMap(([key, value]) => {
    if (key === 'simulate' && field.endsWith('.params')) return [];
    // The key as a message shows a client's text: a param key may hold anything (a bidi override, 20 KB).
    const here = `${field}.${shownText(key, MAX_SHOWN_PATH)}`;
    return key.endsWith('.$') ? [{ key, value, field: here }] : dynamicParams(value, here);
  });
}

const PATHS_IN_INTRINSIC = /\$(?:\.[A-Za-z0-9_][A-Za-z0-9_-]*|\[\d+\])*/g;

/**
 * The longest part of a client's `.$` value a message shows (shownText cuts and escapes the rest): a path
 * of 10,000 characters, or one holding a bidi override, does not come back as sent.
 */
const MAX_SHOWN_PATH = 200;

/** Why a dynamic value (`"x.$": value`) is not usable here, or undefined. */
function checkDynamicValue(value: unknown, ref: (path: string) => string | undefined): string | undefined {
  if (typeof value !== 'string') return 'a .$ value must be a string (a JSONPath or an intrinsic function)';
  if (value.startsWith('$$')) {
    return `${shownText(value, MAX_SHOWN_PATH)} reads the context object, which workflows do not use; read $.task, $.item or $.mapIndex instead`;
  }
  if (value.startsWith('States.')) {
    for (const path of value.match(PATHS_IN_INTRINSIC) ?? []) {
      if (path === '$') continue;
      const problem = ref(path);
      if (problem) return problem;
    }
    return undefined;
  }
  if (value.startsWith('$')) return ref(value);
  return `"${shownText(value, MAX_SHOWN_PATH)}" is neither a JSONPath ($.…) nor an intrinsic function (States.…)`;
}

const TASK_FIELDS = new Set(['id', 'orgId', 'workflowId', 'workflowVersion']);
const PATH_HEAD = /^\$(?:\.([A-Za-z0-9_][A-Za-z0-9_-]*)(?:\.([A-Za-z0-9_][A-Za-z0-9_-]*))?)?/;

/** Why `path` does not refer to data a step can see, or undefined. */
function checkReference(
  path: string,
  env: ScopeEnv,
  scopeSteps: Map<string, Step>,
  dependencies: Set<string>,
): string | undefined {
  const [, root, second] = PATH_HEAD.exec(path) ?? [];
  const shown = shownText(path, MAX_SHOWN_PATH);
  const roots = env.inMap
    ? '$.input, $.task, $.steps.<id>, $.item or $.mapIndex'
    : '$.input, $.task or $.steps.<id>';
  switch (root) {
    case 'input':
      if (second && env.inputProperties && !env.inputProperties.has(second)) {
        return `${shown} reads input.${second}, which inputSchema does not declare (declared: ${[...env.inputProperties].map((name) => shownText(name)).join(', ')})`;
      }
      return undefined;
    case 'task':
      return second && !TASK_FIELDS.has(second)
        ? `${shown}: the task has only ${[...TASK_FIELDS].join(', ')}`
        : undefined;
    case 'item':
    case 'mapIndex':
      return env.inMap ? undefined : `${shown}: $.${root} exists only inside the steps of a map step`;
    case 'steps':
      // The whole of $.steps is fine: it holds exactly the steps finished so far.
      if (!second) return path === '$.steps' ? undefined : `${shown} must name a step: $.steps.<id>...`;
      if (!scopeSteps.has(second)) {
        return env.inMap
          ? `${shown} reads step '${second}', which is not a sub-step of this map (an iteration sees only its own steps; pass outer data through items)`
          : `${shown} reads step '${second}', which does not exist`;
      }
      if (!dependencies.has(second)) {
        return `${shown} reads step '${second}', which is not among its dependencies; add '${second}' to dependsOn`;
      }
      return undefined;
    default:
      return `${shown} must start with ${roots}`;
  }
}
