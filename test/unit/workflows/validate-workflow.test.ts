import { describe, expect, it } from 'vitest';
import { HttpParamsSchema } from '../../../functions/shared/actions/http';
import { LambdaParamsSchema } from '../../../functions/shared/actions/lambda';
import { LlmParamsSchema } from '../../../functions/shared/actions/llm/llm-action';
import { ACTION_PARAM_KEYS } from '../../../functions/shared/actions/param-keys';
import { TransformParamsSchema } from '../../../functions/shared/actions/transform';
import { FUNCTIONS } from '../../../functions/shared/resources';
import { MAX_RUNNABLE_STEP_TIMEOUT_SECONDS } from '../../../functions/shared/workflows/limits';
import {
  type ValidationIssue,
  validateWorkflow,
} from '../../../functions/shared/workflows/validate-workflow';

const workflow = (steps: object[], extra: object = {}) => ({
  id: 'wf',
  version: 1,
  name: 'W',
  steps,
  ...extra,
});
const step = (id: string, extra: object = {}) => ({
  id,
  type: 'transform',
  params: { expression: '1' },
  ...extra,
});

function errorsOf(raw: unknown): ValidationIssue[] {
  const result = validateWorkflow(raw);
  if (result.ok) throw new Error('expected the definition to be invalid');
  return result.errors;
}

/** The single issue of a rule, checked for its step and field. */
function issue(raw: unknown, rule: string): ValidationIssue {
  const errors = errorsOf(raw);
  const found = errors.filter((e) => e.rule === rule);
  expect(found, JSON.stringify(errors)).toHaveLength(1);
  return found[0] as ValidationIssue;
}

describe('validateWorkflow', () => {
  it('accepts a valid definition and returns it typed', () => {
    const result = validateWorkflow(workflow([step('a'), step('b', { dependsOn: ['a'] })]));
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.definition.steps.map((s) => s.id)).toEqual(['a', 'b']);
  });

  it('schema: maps zod issues to field paths naming the step', () => {
    const found = issue(workflow([step('a'), { id: 'b', type: 'http', dependOn: ['a'] }]), 'schema');
    expect(found).toMatchObject({ stepId: 'b', field: 'steps[1].dependOn' });
    expect(found.message).toBe("Step 'b' (steps[1].dependOn): unknown field (dependOn)");
    expect(issue({ id: 'Bad Id', version: 1, name: 'W', steps: [step('a')] }, 'schema').field).toBe('id');
    expect(issue(workflow([{ id: 'a', type: 'http', name: 7 }]), 'schema').message).toContain(
      'steps[0].name',
    );
    expect(errorsOf('nope')[0]?.rule).toBe('schema');
    expect(issue(workflow([]), 'schema').field).toBe('steps');
  });

  it("schema: the DSL's own messages and zod's English ones", () => {
    expect(issue(workflow([step('a', { name: 7 })]), 'schema').message).toBe(
      "Step 'a' (steps[0].name): Invalid input: expected string, received number",
    );
    expect(issue(workflow([{ id: 'a', type: 'wait' }]), 'schema').message).toBe(
      "Step 'a' (steps[0].seconds): a wait step needs seconds or secondsPath",
    );
    expect(issue(workflow([{ id: 'a', type: 'wait', seconds: 1.5 }]), 'schema').message).toBe(
      "Step 'a' (steps[0].seconds): Invalid input: expected int, received number",
    );
    expect(
      issue(workflow([{ id: 'a', type: 'map', items: 'input.list', steps: [step('b')] }]), 'schema').message,
    ).toBe("Step 'a' (steps[0].items): must be a JSONPath reference like $.input.x or $.steps.<id>.output.y");
    expect(
      issue(workflow([step('a', { retry: { nonRetryableErrors: ['States.ALL'] } })]), 'schema').message,
    ).toBe(
      "Step 'a' (steps[0].retry.nonRetryableErrors[0]): States.ALL cannot be listed: to retry nothing, set maxAttempts to 0",
    );
    expect(issue({ ...workflow([step('a')]), version: 0 }, 'schema').message).toBe(
      'version: Too small: expected number to be >0',
    );
  });

  it('unique-step-ids: the same id twice, nested map steps included', () => {
    const found = issue(
      workflow([
        step('a'),
        { id: 'm', type: 'map', items: '$.input.x', dependsOn: ['a'], steps: [step('a')] },
      ]),
      'unique-step-ids',
    );
    expect(found).toMatchObject({ stepId: 'a', field: 'steps[1].steps[0].id' });
    expect(found.message).toContain('steps[0].id and steps[1].steps[0].id');
  });

  it('unknown-dependency', () => {
    const found = issue(
      workflow([step('a'), step('b', { dependsOn: ['a', 'ghost'] })]),
      'unknown-dependency',
    );
    expect(found).toMatchObject({ stepId: 'b', field: 'steps[1].dependsOn[1]' });
    expect(found.message).toBe("Step 'b' (steps[1].dependsOn[1]) depends on 'ghost', which is not a step");
  });

  it('self-dependency', () => {
    const found = issue(workflow([step('a'), step('b', { dependsOn: ['b'] })]), 'self-dependency');
    expect(found).toMatchObject({ stepId: 'b', field: 'steps[1].dependsOn[0]' });
    expect(found.message).toBe("Step 'b' (steps[1].dependsOn[0]) depends on itself");
  });

  it('cycle: names the cycle in run order', () => {
    const found = issue(
      workflow([
        step('start'),
        step('a', { dependsOn: ['start', 'c'] }),
        step('b', { dependsOn: ['a'] }),
        step('c', { dependsOn: ['b'] }),
      ]),
      'cycle',
    );
    expect(found.message).toContain('a -> b -> c -> a');
    expect(found.stepId).toBe('a');
  });

  it('no-entry-step: every step depends on another', () => {
    const found = issue(
      workflow([step('a', { dependsOn: ['b'] }), step('b', { dependsOn: ['a'] })]),
      'no-entry-step',
    );
    expect(found).toMatchObject({ field: 'steps' });
    expect(found.message).toContain('at least one step needs no dependsOn');
  });

  it('unreachable-step: a step after a cycle can never run', () => {
    const found = issue(
      workflow([
        step('start'),
        step('a', { dependsOn: ['start', 'b'] }),
        step('b', { dependsOn: ['a'] }),
        step('after', { dependsOn: ['b'] }),
      ]),
      'unreachable-step',
    );
    expect(found).toMatchObject({ stepId: 'after', field: 'steps[3].dependsOn' });
    expect(found.message).toBe(
      "Step 'after' can never run: it depends on 'b', which is part of a dependency cycle",
    );
  });

  it('retry-range: out-of-range fields and a max delay below the interval', () => {
    const found = issue(workflow([step('a', { retry: { backoffRate: 50 } })]), 'retry-range');
    expect(found).toMatchObject({ stepId: 'a', field: 'steps[0].retry.backoffRate' });
    expect(found.message).toMatch(/^Step 'a' \(steps\[0\]\.retry\.backoffRate\): Too big/);
    expect(issue(workflow([step('a', { retry: { maxAttempts: 11 } })]), 'retry-range').field).toBe(
      'steps[0].retry.maxAttempts',
    );
    expect(
      issue(workflow([step('a', { retry: { intervalSeconds: 30, maxDelaySeconds: 10 } })]), 'retry-range')
        .field,
    ).toBe('steps[0].retry.maxDelaySeconds');
    expect(
      issue(
        workflow([step('a')], { defaults: { retry: { jitter: 'FULL', intervalSeconds: 0 } } }),
        'retry-range',
      ).field,
    ).toBe('defaults.retry.intervalSeconds');
  });

  it('timeout-range: out of range, or longer than the workflow', () => {
    expect(issue(workflow([step('a', { timeoutSeconds: 0 })]), 'timeout-range').field).toBe(
      'steps[0].timeoutSeconds',
    );
    const found = issue(
      workflow([step('a', { timeoutSeconds: 600 })], { timeoutSeconds: 60 }),
      'timeout-range',
    );
    expect(found.message).toBe(
      "Step 'a' (steps[0].timeoutSeconds): 600 exceeds the workflow timeoutSeconds (60)",
    );
  });

  it('timeout-range: an http, llm, transform or lambda step stays within the step runner Lambda', () => {
    const own = issue(workflow([step('a', { timeoutSeconds: 881 })]), 'timeout-range');
    expect(own.field).toBe('steps[0].timeoutSeconds');
    expect(own.message).toContain('at most 880');
    expect(validateWorkflow(workflow([step('a', { timeoutSeconds: 880 })])).ok).toBe(true);
    // Room under the step runner's Lambda timeout to record the attempt.
    expect(FUNCTIONS.stepRunner.timeoutSeconds - MAX_RUNNABLE_STEP_TIMEOUT_SECONDS).toBeGreaterThanOrEqual(
      20,
    );

    const inherited = issue(
      workflow([{ id: 'long', type: 'agent', workerType: 'gpu' }, step('a', { dependsOn: ['long'] })], {
        defaults: { timeoutSeconds: 3600 },
      }),
      'timeout-range',
    );
    expect(inherited).toMatchObject({ stepId: 'a', field: 'defaults.timeoutSeconds' });
    expect(inherited.message).toContain('give it its own timeoutSeconds');
    // An agent step runs in a worker: an hour is its to take, and a runnable step may set its own.
    expect(
      validateWorkflow(
        workflow(
          [
            { id: 'long', type: 'agent', workerType: 'gpu' },
            step('a', { dependsOn: ['long'], timeoutSeconds: 60 }),
          ],
          { defaults: { timeoutSeconds: 3600 } },
        ),
      ).ok,
    ).toBe(true);
  });

  it('invalid-condition: a when path must read known data', () => {
    const notDependency = issue(
      workflow([step('a'), step('b', { when: { path: '$.steps.a.output.ok', equals: true } })]),
      'invalid-condition',
    );
    expect(notDependency).toMatchObject({ stepId: 'b', field: 'steps[1].when.path' });
    expect(notDependency.message).toContain("add 'a' to dependsOn");
    const undeclared = issue(
      workflow(
        [
          step('a', {
            when: {
              and: [
                { path: '$.input.mode', equals: 'x' },
                { path: '$.input.nope', isPresent: true },
              ],
            },
          }),
        ],
        {
          inputSchema: {
            type: 'object',
            properties: { mode: { type: 'string' } },
            additionalProperties: false,
          },
        },
      ),
      'invalid-condition',
    );
    expect(undeclared.field).toBe('steps[0].when.and[1].path');
    expect(undeclared.message).toContain('inputSchema does not declare');
    expect(
      issue(workflow([step('a', { when: { path: '$.elsewhere', equals: 1 } })]), 'invalid-condition').message,
    ).toContain('must start with $.input');
    expect(
      issue(
        workflow([step('a', { when: { path: '$.input.x', equals: 1, lessThan: 2 } })]),
        'invalid-condition',
      ).message,
    ).toContain('exactly one operator');
  });

  it('accepts conditions and references on transitive dependencies, the input and map items', () => {
    const result = validateWorkflow(
      workflow([
        step('a'),
        step('b', { dependsOn: ['a'] }),
        step('c', {
          dependsOn: ['b'],
          when: { path: '$.steps.a.output.ok', equals: true },
          params: { expression: '1', 'data.$': "States.Format('{} {}', $.steps.a.output, $.input.x)" },
        }),
        {
          id: 'm',
          type: 'map',
          items: '$.steps.a.output.list',
          dependsOn: ['a'],
          steps: [
            step('inner', {
              when: { path: '$.item.ok', isPresent: true },
              params: { 'data.$': '$.item', expression: '1' },
            }),
          ],
        },
      ]),
    );
    expect(result.ok, JSON.stringify(result)).toBe(true);
  });

  it('unknown-step-type: an unknown type, naming the field', () => {
    const unknown = issue(workflow([{ id: 'a', type: 'teleport' }]), 'unknown-step-type');
    expect(unknown).toMatchObject({ stepId: 'a', field: 'steps[0].type' });
    expect(unknown.message).toContain('unknown step type "teleport"');
  });

  it('unknown-step-type: shows a long or unprintable type cut and escaped, never as sent', () => {
    const long = issue(workflow([{ id: 'a', type: 'y'.repeat(200_000) }]), 'unknown-step-type');
    expect(long.message.length).toBeLessThan(400);
    expect(long.message).toContain('(200000 characters)');
    const bidi = issue(workflow([{ id: 'a', type: 'abc\u202Edef' }]), 'unknown-step-type');
    expect(bidi.message).toContain('unknown step type "abc\\u202edef"');
    const object = issue(workflow([{ id: 'a', type: { big: 'z'.repeat(100_000) } }]), 'unknown-step-type');
    expect(object.message.length).toBeLessThan(400);
  });

  it('invalid-reference: shows a long or unprintable .$ value cut and escaped, never as sent', () => {
    for (const value of [
      `$.${'a.'.repeat(5000)}b`,
      '$\u202Eabc',
      `$$.${'x'.repeat(5000)}`,
      `nope\u202E${'y'.repeat(5000)}`,
    ]) {
      const found = issue(
        workflow([step('a', { params: { expression: '1', 'x.$': value } })]),
        'invalid-reference',
      );
      expect(found.field).toBe('steps[0].params.x.$');
      expect(found.message.length).toBeLessThan(600);
      expect(found.message).not.toContain('\u202E');
    }
  });

  it('shows a dependsOn entry, a param key, a refused url and undeclared input names cut and escaped', () => {
    const evil = `x\u202E${'q'.repeat(20_000)}`;
    const cases = [
      workflow([step('a'), step('b', { dependsOn: [evil] })]),
      workflow([step('a', { params: { expression: '1', [`${evil}.$`]: 'nope' } })]),
      workflow([{ id: 'h', type: 'http', params: { url: evil } }]),
      workflow([step('a', { when: { path: '$.input.n', equals: 1 } })], {
        inputSchema: { type: 'object', properties: { [evil]: {} } },
      }),
    ];
    for (const definition of cases) {
      const result = validateWorkflow(definition);
      expect(result.ok).toBe(false);
      const shown = JSON.stringify(result.ok ? [] : result.errors);
      expect(shown.length, shown.slice(0, 300)).toBeLessThan(2000);
      expect(shown).not.toContain('\u202E');
    }
  });

  it('invalid-params: a transform param other than expression and data, as a value or as .$, naming it', () => {
    for (const key of ['d.$', 'surprise', 'expresion']) {
      const found = issue(
        workflow([step('a', { params: { expression: '1', [key]: '$.input' } })]),
        'invalid-params',
      );
      expect(found).toMatchObject({ stepId: 'a', field: `steps[0].params.${key}` });
    }
    const fine = validateWorkflow(
      workflow([
        step('a', {
          params: { 'expression.$': '$.input.e', 'data.$': '$.input', simulate: { failUntilAttempt: 2 } },
        }),
      ]),
    );
    expect(fine.ok, JSON.stringify(fine)).toBe(true);
  });

  it('invalid-params: an http, llm or lambda param its action does not take, naming it and what it takes', () => {
    const cases: [object, string][] = [
      [{ type: 'http', params: { url: 'https://example.com', methd: 'POST' } }, 'methd'],
      [{ type: 'llm', params: { prompt: 'hi', 'modle.$': '$.input.m' } }, 'modle.$'],
      [{ type: 'lambda', params: { functionArn: 'fn', input: {} } }, 'input'],
    ];
    for (const [shape, key] of cases) {
      const found = issue(workflow([{ id: 'a', ...shape }]), 'invalid-params');
      expect(found).toMatchObject({ stepId: 'a', field: `steps[0].params.${key}` });
      expect(found.message).toMatch(/takes .+, not this param/);
    }
    const fine = validateWorkflow(
      workflow([
        {
          id: 'a',
          type: 'http',
          params: {
            'url.$': '$.input.url',
            method: 'POST',
            body: {},
            retry: { maxRetries: 1 },
            simulate: {},
          },
        },
      ]),
    );
    expect(fine.ok, JSON.stringify(fine)).toBe(true);
  });

  it("lists each action's params as its schema does", () => {
    const keys = (schema: { _zod: { def: { shape?: object } } }) => Object.keys(schema._zod.def.shape ?? {});
    expect(ACTION_PARAM_KEYS).toEqual({
      http: keys(HttpParamsSchema),
      llm: keys(LlmParamsSchema),
      lambda: keys(LambdaParamsSchema),
      transform: keys(TransformParamsSchema),
    });
  });

  it('invalid-reference: a .$ param reading a step that is not a dependency', () => {
    const found = issue(
      workflow([step('a'), step('b', { params: { expression: '1', 'data.$': '$.steps.a.output' } })]),
      'invalid-reference',
    );
    expect(found).toMatchObject({ stepId: 'b', field: 'steps[1].params.data.$' });
    expect(
      issue(workflow([step('a', { params: { 'x.$': '$$.Execution.Id' } })]), 'invalid-reference').message,
    ).toContain('context object');
    expect(
      issue(workflow([step('a', { params: { 'x.$': '$.item' } })]), 'invalid-reference').message,
    ).toContain('only inside the steps of a map');
    expect(
      issue(
        workflow([step('a', { params: { nested: { 'x.$': "States.Format('{}', $.steps.zz)" } } })]),
        'invalid-reference',
      ).field,
    ).toBe('steps[0].params.nested.x.$');
  });

  it('passes simulate through untouched', () => {
    const result = validateWorkflow(
      workflow([step('a', { params: { expression: '1', simulate: { 'odd.$': 'whatever' } } })]),
    );
    expect(result.ok).toBe(true);
  });

  it('validates map sub-steps with the same rules, fields prefixed', () => {
    const errors = errorsOf(
      workflow([
        step('outer'),
        {
          id: 'm',
          type: 'map',
          items: '$.input.list',
          steps: [
            step('x', { dependsOn: ['outer'] }),
            step('y', { params: { expression: '1', 'data.$': '$.steps.outer.output' } }),
            { id: 'z', type: 'http', retry: { backoffRate: 0 } },
          ],
        },
      ]),
    );
    expect(errors.map((e) => [e.rule, e.field])).toEqual([
      ['retry-range', 'steps[1].steps[2].retry.backoffRate'],
    ]);
    const semantic = errorsOf(
      workflow([
        step('outer'),
        {
          id: 'm',
          type: 'map',
          items: '$.input.list',
          steps: [
            step('x', { dependsOn: ['outer'] }),
            step('y', { params: { expression: '1', 'data.$': '$.steps.outer' } }),
          ],
        },
      ]),
    );
    expect(semantic.map((e) => [e.rule, e.field])).toEqual([
      ['unknown-dependency', 'steps[1].steps[0].dependsOn[0]'],
      ['invalid-reference', 'steps[1].steps[1].params.data.$'],
    ]);
  });

  it('nested-map: a map inside a map', () => {
    const found = issue(
      workflow([
        {
          id: 'm',
          type: 'map',
          items: '$.input.list',
          steps: [{ id: 'n', type: 'map', items: '$.item', steps: [step('x')] }],
        },
      ]),
      'nested-map',
    );
    expect(found.field).toBe('steps[0].steps[0].type');
  });

  it('invalid-input-schema', () => {
    expect(
      issue(workflow([step('a')], { inputSchema: { type: 'banana' } }), 'invalid-input-schema').field,
    ).toBe('inputSchema');
    const draft07 = { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object' };
    expect(issue(workflow([step('a')], { inputSchema: draft07 }), 'invalid-input-schema').field).toBe(
      'inputSchema.$schema',
    );
    expect(
      issue(workflow([step('a')], { inputSchema: { $ref: '#/nope' } }), 'invalid-input-schema').field,
    ).toBe('inputSchema');
    expect(
      issue(workflow([step('a')], { inputSchema: { format: 'nope' } }), 'invalid-input-schema').field,
    ).toBe('inputSchema');
  });

  it('invalid-expression: a JSONata syntax error in a transform step, in a map too', () => {
    const top = issue(workflow([step('a', { params: { expression: '$foo(' } })]), 'invalid-expression');
    expect(top).toMatchObject({ stepId: 'a', field: 'steps[0].params.expression' });
    expect(top.message).toMatch(/Step 'a' .*JSONata syntax error/);
    const inMap = issue(
      workflow([
        {
          id: 'm',
          type: 'map',
          items: '$.input.list',
          steps: [step('x', { params: { expression: '(((' } })],
        },
      ]),
      'invalid-expression',
    );
    expect(inMap).toMatchObject({ stepId: 'x', field: 'steps[0].steps[0].params.expression' });
  });

  it('invalid-expression: a regular expression that cannot run in linear time (a backreference)', () => {
    const refused = issue(
      workflow([step('a', { params: { expression: '$match(text, /(a)\\1/)' } })]),
      'invalid-expression',
    );
    expect(refused).toMatchObject({ stepId: 'a', field: 'steps[0].params.expression' });
    expect(refused.message).toMatch(/cannot run in linear time/);
    const nested = workflow([step('a', { params: { expression: '$contains(text, /^(a+)+$/i)' } })]);
    expect(validateWorkflow(nested).ok).toBe(true);
  });

  it('invalid-expression: a transform step without a string expression (or expression.$), or one over 64 KB', () => {
    for (const params of [{ expression: 1 }, { expression: '' }, {}, { expression: 'x'.repeat(65_537) }]) {
      expect(
        issue(workflow([step('a', { params })]), 'invalid-expression'),
        JSON.stringify(params).slice(0, 40),
      ).toMatchObject({
        stepId: 'a',
        field: 'steps[0].params.expression',
      });
    }
    expect(validateWorkflow(workflow([step('a', { params: { 'expression.$': '$.input.e' } })])).ok).toBe(
      true,
    );
  });

  it('invalid-params: an http step whose static url is not an absolute http(s) URL, in a map too', () => {
    for (const url of [
      'file:///etc/passwd',
      'ftp://example.com/x',
      'gopher://h',
      'example.com/x',
      '',
      42,
      undefined,
    ]) {
      const found = issue(workflow([step('fetch', { type: 'http', params: { url } })]), 'invalid-params');
      expect(found, String(url)).toMatchObject({ stepId: 'fetch', field: 'steps[0].params.url' });
      expect(found.message).toMatch(
        /Step 'fetch' \(steps\[0\]\.params\.url\): an http step needs url: an absolute http\(s\) URL/,
      );
    }
    const inMap = issue(
      workflow([
        {
          id: 'm',
          type: 'map',
          items: '$.input.list',
          steps: [step('x', { type: 'http', params: { url: 'file:///x' } })],
        },
      ]),
      'invalid-params',
    );
    expect(inMap).toMatchObject({ stepId: 'x', field: 'steps[0].steps[0].params.url' });
  });

  it('invalid-params: an llm step without a static prompt (or prompt.$)', () => {
    for (const params of [{}, { prompt: '' }, { prompt: 3 }, { model: 'm', system: 'be brief' }]) {
      expect(
        issue(workflow([step('ask', { type: 'llm', params })]), 'invalid-params'),
        JSON.stringify(params),
      ).toMatchObject({ stepId: 'ask', field: 'steps[0].params.prompt' });
    }
  });

  it('invalid-params: a param given both as a value and as a .$ reference, at any depth', () => {
    const top = issue(
      workflow([step('ask', { type: 'llm', params: { prompt: 'x', 'prompt.$': '$.input.p' } })]),
      'invalid-params',
    );
    expect(top).toEqual({
      rule: 'invalid-params',
      stepId: 'ask',
      field: 'steps[0].params.prompt',
      message: "Step 'ask' (steps[0].params.prompt): give prompt or prompt.$, not both",
    });
    const nested = { url: 'https://example.com', headers: { auth: 'a', 'auth.$': '$.input.a' } };
    expect(issue(workflow([step('get', { type: 'http', params: nested })]), 'invalid-params').field).toBe(
      'steps[0].params.headers.auth',
    );
  });

  it('invalid-condition: says what is wrong with a condition, not "Invalid input"', () => {
    const message = (when: unknown) =>
      issue(workflow([step('a'), step('b', { dependsOn: ['a'], when })]), 'invalid-condition').message;
    expect(message({})).toMatch(/a condition is \{path, and one of equals, .*\{not: condition\}/);
    expect(message('x')).toMatch(/a condition is \{path/);
    expect(message({ path: '$.input.t', equals: { a: 1 } })).toMatch(
      /equals: must be a string, a number, a boolean or null/,
    );
    expect(message({ path: '$.input.t', lessThan: true })).toMatch(/lessThan: must be a string or a number/);
    expect(message({ not: { path: 1, equals: 1 } })).toMatch(/path: Invalid input: expected string/);
  });

  it('schema: a wait step with both seconds and secondsPath is told "not both"', () => {
    const both = { id: 'w', type: 'wait', seconds: 5, secondsPath: '$.input.s' };
    expect(issue(workflow([both]), 'schema').message).toMatch(/seconds or secondsPath, not both/);
    expect(issue(workflow([{ id: 'w', type: 'wait' }]), 'schema').message).toMatch(
      /needs seconds or secondsPath$/,
    );
  });

  it('invalid-params: a lambda step without a static functionArn (or functionArn.$)', () => {
    for (const params of [{}, { functionArn: '' }, { payload: { a: 1 } }]) {
      expect(
        issue(workflow([step('call', { type: 'lambda', params })]), 'invalid-params'),
        JSON.stringify(params),
      ).toMatchObject({ stepId: 'call', field: 'steps[0].params.functionArn' });
    }
  });

  it('accepts http and llm params it cannot check (.$ values), valid ones, and steps set to always fail', () => {
    const valid = [
      step('a', { type: 'http', params: { url: 'https://example.com/x' } }),
      step('b', { type: 'http', params: { url: 'HTTP://example.com' } }),
      step('c', { type: 'http', params: { 'url.$': '$.input.url' } }),
      step('d', { type: 'http', params: { 'url.$': "States.Format('file://{}', $.input.p)" } }),
      step('e', { type: 'llm', params: { prompt: 'Summarize' } }),
      step('f', { type: 'llm', params: { 'prompt.$': '$.input.question' } }),
      step('g', { type: 'http', params: { simulate: { fail: true } } }),
      step('h', { type: 'lambda', params: { functionArn: 'enrich' } }),
      step('i', { type: 'lambda', params: { 'functionArn.$': '$.input.fn' } }),
    ];
    expect(validateWorkflow(workflow(valid, { inputSchema: undefined }))).toMatchObject({ ok: true });
  });

  it('schema: a workflow or step name with control or format characters, or blank, naming the field', () => {
    const formatCharacters = ['pay\u202Egnp.exe', 'zero\u200Bwidth', 'bom\uFEFF', 'soft\u00ADhyphen'];
    for (const name of ['a\u0000b', 'line\nbreak', 'tab\there', 'c1\u0085', '   ', ...formatCharacters]) {
      expect(issue(workflow([step('a')], { name }), 'schema'), JSON.stringify(name)).toMatchObject({
        field: 'name',
        message: expect.stringMatching(/^name: must not (have control or format characters|be blank)/),
      });
      expect(issue(workflow([step('a', { name })]), 'schema'), JSON.stringify(name)).toMatchObject({
        stepId: 'a',
        field: 'steps[0].name',
      });
    }
    expect(
      validateWorkflow(workflow([step('a', { name: 'Fetch 🙂 données' })], { name: 'Ünïcode ok 漢字' })).ok,
    ).toBe(true);
  });

  it('never throws, whatever it is given', () => {
    for (const raw of [
      null,
      undefined,
      42,
      [],
      { steps: 'x' },
      { steps: [null] },
      workflow([{ id: 'a', type: 'map' }]),
    ]) {
      expect(() => validateWorkflow(raw)).not.toThrow();
      expect(validateWorkflow(raw).ok).toBe(false);
    }
  });
});
