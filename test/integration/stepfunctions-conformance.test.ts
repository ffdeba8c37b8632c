// Conformance of the local Step Functions endpoint with AWS, for every ASL construct the workflow compiler
// emits (and the intrinsics a workflow's `.$` params may use). Each case states the result AWS documents,
// quoting the rule from the AWS Step Functions Developer Guide ("Choice", "Intrinsic functions",
// "Parallel", "Map", "Processing input and output", "Error handling"); each runs through the endpoint with
// the real SFNClient. Divergences of aws-local-stepfunctions are fixed in
// patches/aws-local-stepfunctions+3.0.0.patch or in local/stepfunctions/definition.ts, never in the ASL.
import {
  type DescribeExecutionCommandOutput,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
} from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { conditionToChoiceRule } from '../../functions/shared/workflows/compile-condition';
import type { Condition } from '../../functions/shared/workflows/definition';
import { localStateMachines } from '../support/local-state-machines';

class FlakyError extends Error {
  override name = 'FlakyError';
}
class Declined extends Error {
  override name = 'Declined';
}

const calls: Record<string, number> = {};
const lambdas: Record<string, (payload: unknown) => Promise<unknown>> = {
  // Counts calls per `key`, always fails.
  flaky: async (payload) => {
    const key = (payload as { key: string }).key;
    calls[key] = (calls[key] ?? 0) + 1;
    throw new FlakyError(`call ${calls[key]} failed`);
  },
  decline: async () => {
    throw new Declined('card declined');
  },
  slow: () => new Promise((resolve) => setTimeout(() => resolve('late'), 3000)),
  // Takes the task token and never completes it: only a heartbeat or timeout ends the task.
  forget: async () => ({ accepted: true }),
  // Keeps the task token for the test to complete, as the approval step's request does.
  callback: async (payload) => {
    const { key, token } = payload as { key: string; token: string };
    tokens[key] = token;
    return { ignored: 'the callback decides the result' };
  },
};
const tokens: Record<string, string> = {};

const stateMachines = localStateMachines(async (functionName, payload) => {
  const lambda = lambdas[functionName.split(':').at(-1) ?? ''];
  if (!lambda) throw new Error(`unexpected function ${functionName}`);
  return lambda(payload);
});

let machines = 0;

const execute = (definition: object, input: unknown = {}) =>
  stateMachines.execute(`conformance-${++machines}`, definition, input);

const outputOf = (execution: DescribeExecutionCommandOutput) => JSON.parse(execution.output ?? 'null');

/** 'match', 'no match', or the error name the execution failed with. */
async function choose(rule: object, input: unknown): Promise<string> {
  const execution = await execute(
    {
      StartAt: 'Decide',
      States: {
        Decide: { Type: 'Choice', Choices: [{ ...rule, Next: 'Matched' }], Default: 'Unmatched' },
        Matched: { Type: 'Pass', Result: 'match', End: true },
        Unmatched: { Type: 'Pass', Result: 'no match', End: true },
      },
    },
    input,
  );
  return execution.status === 'SUCCEEDED' ? outputOf(execution) : String(execution.error);
}

const lambdaTask = (functionName: string, extra: object = {}) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Parameters: { FunctionName: functionName, 'Payload.$': '$' },
  ...extra,
});

// "For each of these operators, the corresponding value must be of the appropriate type ... Step Functions
// doesn't attempt to match a numeric field to a string value": a value of another type does not match.
// A Choice rule reading a field the input lacks fails the execution with States.Runtime ("Invalid path
// ... The choice state's condition path references an invalid value"); only IsPresent may test for it.
const NO_FIELD = 'States.Runtime';

type ChoiceCase = readonly [rule: object, input: unknown, expected: string];
const choiceCases: Record<string, ChoiceCase[]> = {
  StringEquals: [
    [{ Variable: '$.v', StringEquals: 'fast' }, { v: 'fast' }, 'match'],
    [{ Variable: '$.v', StringEquals: 'fast' }, { v: 'Fast' }, 'no match'],
    [{ Variable: '$.v', StringEquals: '1' }, { v: 1 }, 'no match'],
    [{ Variable: '$.v', StringEquals: 'null' }, { v: null }, 'no match'],
    [{ Variable: '$.v', StringEquals: 'fast' }, {}, NO_FIELD],
  ],
  NumericEquals: [
    [{ Variable: '$.v', NumericEquals: 3 }, { v: 3 }, 'match'],
    [{ Variable: '$.v', NumericEquals: 3 }, { v: 3.0 }, 'match'],
    [{ Variable: '$.v', NumericEquals: 3 }, { v: '3' }, 'no match'],
    [{ Variable: '$.v', NumericEquals: 3 }, {}, NO_FIELD],
  ],
  BooleanEquals: [
    [{ Variable: '$.v', BooleanEquals: false }, { v: false }, 'match'],
    [{ Variable: '$.v', BooleanEquals: true }, { v: 'true' }, 'no match'],
    [{ Variable: '$.v', BooleanEquals: false }, { v: null }, 'no match'],
  ],
  'Numeric ordering': [
    [{ Variable: '$.v', NumericGreaterThan: 5 }, { v: 6 }, 'match'],
    [{ Variable: '$.v', NumericGreaterThan: 5 }, { v: 5 }, 'no match'],
    [{ Variable: '$.v', NumericGreaterThan: 5 }, { v: '6' }, 'no match'],
    [{ Variable: '$.v', NumericLessThan: 10 }, { v: '5' }, 'no match'],
    [{ Variable: '$.v', NumericLessThan: 10 }, { v: -1.5 }, 'match'],
    [{ Variable: '$.v', NumericGreaterThanEquals: 5 }, { v: 5 }, 'match'],
    [{ Variable: '$.v', NumericLessThanEquals: 5 }, { v: 5.01 }, 'no match'],
    [{ Variable: '$.v', NumericLessThanEquals: 5 }, { v: null }, 'no match'],
    [{ Variable: '$.v', NumericGreaterThan: 0 }, {}, NO_FIELD],
  ],
  // "To understand the behavior of string comparisons, see the Java compareTo documentation": UTF-16 code
  // unit order, so upper case sorts before lower case.
  'String ordering': [
    [{ Variable: '$.v', StringGreaterThan: 'b' }, { v: 'c' }, 'match'],
    [{ Variable: '$.v', StringGreaterThan: 'b' }, { v: 'B' }, 'no match'],
    [{ Variable: '$.v', StringLessThan: 'b' }, { v: 'abc' }, 'match'],
    [{ Variable: '$.v', StringLessThan: 'b' }, { v: 1 }, 'no match'],
    [{ Variable: '$.v', StringGreaterThanEquals: 'b' }, { v: 'b' }, 'match'],
    [{ Variable: '$.v', StringLessThanEquals: 'b' }, { v: 'ba' }, 'no match'],
  ],
  // "...Path" variants (the compiler emits none; users' ASL may): the same type rule for the Variable.
  'Path variants': [
    [{ Variable: '$.v', NumericLessThanPath: '$.limit' }, { v: 5, limit: 10 }, 'match'],
    [{ Variable: '$.v', NumericLessThanPath: '$.limit' }, { v: '5', limit: 10 }, 'no match'],
    [{ Variable: '$.v', StringEqualsPath: '$.other' }, { v: 'a', other: 'a' }, 'match'],
    [{ Variable: '$.v', StringEqualsPath: '$.other' }, { v: 'a' }, NO_FIELD],
  ],
  // "IsNull ... IsPresent ... IsNumeric ... IsString ... IsBoolean": each takes true or false; false
  // matches when the test fails.
  'Is* type tests': [
    [{ Variable: '$.v', IsNull: true }, { v: null }, 'match'],
    [{ Variable: '$.v', IsNull: true }, { v: 0 }, 'no match'],
    [{ Variable: '$.v', IsNull: false }, { v: 0 }, 'match'],
    [{ Variable: '$.v', IsNull: false }, { v: null }, 'no match'],
    [{ Variable: '$.v', IsNull: true }, {}, NO_FIELD],
    [{ Variable: '$.v', IsString: true }, { v: 'x' }, 'match'],
    [{ Variable: '$.v', IsString: false }, { v: 1 }, 'match'],
    [{ Variable: '$.v', IsString: false }, { v: 'x' }, 'no match'],
    [{ Variable: '$.v', IsNumeric: true }, { v: 1.5 }, 'match'],
    [{ Variable: '$.v', IsNumeric: true }, { v: '1.5' }, 'no match'],
    [{ Variable: '$.v', IsNumeric: false }, { v: '1.5' }, 'match'],
    [{ Variable: '$.v', IsBoolean: false }, { v: 'true' }, 'match'],
  ],
  // "IsPresent: Matches against the existence of a field in the input": a null field is present.
  IsPresent: [
    [{ Variable: '$.v', IsPresent: true }, { v: null }, 'match'],
    [{ Variable: '$.v', IsPresent: true }, {}, 'no match'],
    [{ Variable: '$.v', IsPresent: false }, {}, 'match'],
    [{ Variable: '$.v', IsPresent: false }, { v: null }, 'no match'],
    [{ Variable: '$.a.b', IsPresent: false }, { a: 1 }, 'match'],
  ],
  // "StringMatches: a pattern with one or more wildcards (*) ... The wildcard character is escaped by
  // using the standard \\ (Ex: "\\*"). No characters other than * have any special meaning."
  StringMatches: [
    [{ Variable: '$.v', StringMatches: 'log-*.txt' }, { v: 'log-2024.txt' }, 'match'],
    [{ Variable: '$.v', StringMatches: 'log-*.txt' }, { v: 'log-.txt' }, 'match'],
    [{ Variable: '$.v', StringMatches: 'log-*.txt' }, { v: 'log-1.csv' }, 'no match'],
    [{ Variable: '$.v', StringMatches: '*' }, { v: '' }, 'match'],
    [{ Variable: '$.v', StringMatches: 'a?c' }, { v: 'abc' }, 'no match'],
    [{ Variable: '$.v', StringMatches: 'a?c' }, { v: 'a?c' }, 'match'],
    [{ Variable: '$.v', StringMatches: '[ab]' }, { v: 'a' }, 'no match'],
    [{ Variable: '$.v', StringMatches: 'a\\*b' }, { v: 'a*b' }, 'match'],
    [{ Variable: '$.v', StringMatches: 'a\\*b' }, { v: 'axb' }, 'no match'],
    [{ Variable: '$.v', StringMatches: 'C:\\\\*' }, { v: 'C:\\temp' }, 'match'],
    [{ Variable: '$.v', StringMatches: '*' }, { v: 5 }, 'no match'],
    [{ Variable: '$.v', StringMatches: '*a*b*' }, { v: 'xaxbx' }, 'match'],
    [{ Variable: '$.v', StringMatches: 'a*a' }, { v: 'a' }, 'no match'],
    [{ Variable: '$.v', StringMatches: 'a*a' }, { v: 'aa' }, 'match'],
    [{ Variable: '$.v', StringMatches: '*ab*ab*' }, { v: 'abab' }, 'match'],
    [{ Variable: '$.v', StringMatches: '*ab*ab*' }, { v: 'aba' }, 'no match'],
    // Stars do not multiply the work: a backtracking match of this took hours, blocking every execution.
    [{ Variable: '$.v', StringMatches: '*a*a*a*a*a*a*a*a*b' }, { v: 'a'.repeat(5000) }, 'no match'],
  ],
  // "You can create complex, nested Choice Rules using And, Not, and Or": And/Or stop at the first rule
  // that decides, which is what lets IsPresent guard a comparison of a missing field.
  'And / Or / Not': [
    [
      {
        And: [
          { Variable: '$.v', IsPresent: true },
          { Variable: '$.v', StringEquals: 'x' },
        ],
      },
      {},
      'no match',
    ],
    [
      {
        Or: [
          { Variable: '$.v', IsPresent: false },
          { Variable: '$.v', StringEquals: 'x' },
        ],
      },
      {},
      'match',
    ],
    [
      {
        Or: [
          { Variable: '$.v', StringEquals: 'x' },
          { Variable: '$.v', IsPresent: false },
        ],
      },
      {},
      NO_FIELD,
    ],
    [{ Not: { Variable: '$.v', IsPresent: true } }, {}, 'match'],
    [{ Not: { Variable: '$.v', NumericEquals: 1 } }, { v: '1' }, 'match'],
    [
      {
        And: [
          { Variable: '$.v', NumericGreaterThanEquals: 20 },
          { Not: { Variable: '$.v', NumericGreaterThanEquals: 30 } },
        ],
      },
      { v: 22 },
      'match',
    ],
  ],
};

describe('Choice rules (AWS: "Choice workflow state", JSONPath comparison operators)', () => {
  for (const [operator, cases] of Object.entries(choiceCases)) {
    describe(operator, () => {
      it.each(cases)('%j on %j -> %s', async (rule, input, expected) => {
        expect(await choose(rule, input)).toBe(expected);
      });
    });
  }
});

// Every `when` operator of the workflow DSL as the compiler emits it: guarded by IsPresent and a type
// test, so a missing, null or differently typed value never fails the execution, it only does not hold.
describe('compiled `when` conditions (compile-condition.ts) on present, absent, null and typed values', () => {
  const cases: readonly [Condition, unknown, boolean][] = [
    [{ path: '$.mode', equals: 'fast' }, { mode: 'fast' }, true],
    [{ path: '$.mode', equals: 'fast' }, {}, false],
    [{ path: '$.mode', equals: 'fast' }, { mode: null }, false],
    [{ path: '$.mode', equals: 'fast' }, { mode: 1 }, false],
    [{ path: '$.n', equals: 1 }, { n: 1 }, true],
    [{ path: '$.n', equals: 1 }, { n: '1' }, false],
    [{ path: '$.b', equals: true }, { b: true }, true],
    [{ path: '$.b', equals: true }, { b: 'true' }, false],
    [{ path: '$.x', equals: null }, { x: null }, true],
    [{ path: '$.x', equals: null }, {}, false],
    [{ path: '$.x', equals: null }, { x: 0 }, false],
    [{ path: '$.mode', notEquals: 'fast' }, {}, true],
    [{ path: '$.mode', notEquals: 'fast' }, { mode: 'slow' }, true],
    [{ path: '$.mode', notEquals: 'fast' }, { mode: 'fast' }, false],
    [{ path: '$.n', greaterThan: 0 }, { n: 1 }, true],
    [{ path: '$.n', greaterThan: 0 }, { n: '1' }, false],
    [{ path: '$.n', greaterThan: 0 }, {}, false],
    [{ path: '$.n', lessThan: 10 }, { n: '5' }, false],
    [{ path: '$.n', lessThanOrEquals: 10 }, { n: 10 }, true],
    [{ path: '$.n', greaterThanOrEquals: 10 }, { n: 9 }, false],
    [{ path: '$.s', greaterThan: 'm' }, { s: 'z' }, true],
    [{ path: '$.s', lessThan: 'm' }, { s: 5 }, false],
    [{ path: '$.s', matches: 'report-*.pdf' }, { s: 'report-q1.pdf' }, true],
    [{ path: '$.s', matches: 'report-*.pdf' }, { s: null }, false],
    [{ path: '$.s', matches: 'report-*.pdf' }, {}, false],
    [{ path: '$.s', isPresent: true }, { s: null }, true],
    [{ path: '$.s', isPresent: false }, {}, true],
    [{ path: '$.s', isPresent: false }, { s: 'x' }, false],
    [
      {
        or: [
          { path: '$.mode', equals: 'standard' },
          { path: '$.mode', isPresent: false },
        ],
      },
      {},
      true,
    ],
    [
      {
        and: [
          { path: '$.mode', equals: 'thorough' },
          { path: '$.n', greaterThan: 0 },
        ],
      },
      { mode: 'thorough' },
      false,
    ],
    [{ not: { path: '$.mode', equals: 'fast' } }, { mode: 'fast' }, false],
  ];
  it.each(cases)('%j on %j holds: %s', async (condition, input, holds) => {
    expect(await choose(conditionToChoiceRule(condition), input)).toBe(holds ? 'match' : 'no match');
  });
});

describe('intrinsic functions (AWS: "Intrinsic functions")', () => {
  const pass = (parameters: object) => ({
    StartAt: 'Build',
    States: { Build: { Type: 'Pass', Parameters: parameters, End: true } },
  });

  // A `\\` escape (literal backslash) is not tested: asl-validator refuses it at CreateStateMachine (a known
  // difference, listed in local/stepfunctions/server.ts).
  it("States.Format fills {} in order with strings, numbers, booleans and null; \\' \\{ \\} escape the reserved characters", async () => {
    const execution = await execute(
      pass({
        'text.$': "States.Format('{} has {} items ({}, {})', $.name, $.count, $.ok, $.none)",
        'escaped.$': "States.Format('it\\'s \\{\\} for {}', $.name)",
        'parens.$': "States.Format('total (incl. {}, tax)', $.count)",
        // A value is inserted as it is: its quotes and backslashes are data, not escapes.
        'verbatim.$': "States.Format('[{}]', $.quoted)",
      }),
      { name: 'cart', count: 3, ok: true, none: null, quoted: 'say "hi" C:\\temp' },
    );
    expect(execution.status).toBe('SUCCEEDED');
    expect(outputOf(execution)).toEqual({
      text: 'cart has 3 items (true, null)',
      escaped: "it's {} for cart",
      parens: 'total (incl. 3, tax)',
      verbatim: '[say "hi" C:\\temp]',
    });
  });

  it('States.JsonToString serializes to JSON that States.StringToJson reads back, quotes, backslashes and newlines included', async () => {
    const data = { text: 'say "hi"\nC:\\temp', n: [1, 2], nested: { ok: true } };
    const execution = await execute(
      {
        StartAt: 'Serialize',
        States: {
          Serialize: { Type: 'Pass', Parameters: { 'json.$': 'States.JsonToString($.data)' }, Next: 'Parse' },
          Parse: {
            Type: 'Pass',
            Parameters: { 'json.$': '$.json', 'back.$': 'States.StringToJson($.json)' },
            End: true,
          },
        },
      },
      { data },
    );
    expect(execution.status).toBe('SUCCEEDED');
    const output = outputOf(execution);
    expect(JSON.parse(output.json)).toEqual(data);
    expect(output.back).toEqual(data);
  });

  it('States.Format of States.JsonToString nests as the examples use it', async () => {
    const execution = await execute(
      pass({ 'prompt.$': "States.Format('Analyse {} numbers: {}', $.count, States.JsonToString($.items))" }),
      { count: 3, items: [3, 1, 2] },
    );
    expect(outputOf(execution)).toEqual({ prompt: 'Analyse 3 numbers: [3,1,2]' });
  });

  it('States.JsonMerge with false merges shallowly, the second object winning, and leaves its arguments as they were', async () => {
    const execution = await execute(
      pass({
        'merged.$': 'States.JsonMerge($.a, $.b, false)',
        'a.$': '$.a',
      }),
      { a: { x: 1, shared: { keep: 1 } }, b: { y: 2, shared: { other: 2 } } },
    );
    expect(execution.status).toBe('SUCCEEDED');
    expect(outputOf(execution)).toEqual({
      merged: { x: 1, y: 2, shared: { other: 2 } },
      a: { x: 1, shared: { keep: 1 } },
    });
  });

  it('array, math, string, encoding and hash functions return what AWS documents', async () => {
    const execution = await execute(
      pass({
        'array.$': "States.Array($.n, 'two', true, null)",
        'partition.$': 'States.ArrayPartition($.list, 2)',
        'contains.$': 'States.ArrayContains($.list, 3)',
        'range.$': 'States.ArrayRange(1, 9, 2)',
        'item.$': 'States.ArrayGetItem($.list, 1)',
        'length.$': 'States.ArrayLength($.list)',
        'unique.$': 'States.ArrayUnique($.dupes)',
        'sum.$': 'States.MathAdd($.n, -3)',
        'split.$': "States.StringSplit('a,b,,c', ',')",
        'encoded.$': "States.Base64Encode('Data to encode')",
        'decoded.$': "States.Base64Decode('RGF0YSB0byBlbmNvZGU=')",
        'hash.$': "States.Hash('abc', 'SHA-256')",
      }),
      { n: 1, list: [1, 2, 3, 4, 5], dupes: [1, 2, 2, { a: 1 }, { a: 1 }] },
    );
    expect(execution.status).toBe('SUCCEEDED');
    expect(outputOf(execution)).toEqual({
      array: [1, 'two', true, null],
      partition: [[1, 2], [3, 4], [5]],
      contains: true,
      range: [1, 3, 5, 7, 9],
      item: 2,
      length: 5,
      unique: [1, 2, { a: 1 }],
      sum: -2,
      split: ['a', 'b', '', 'c'],
      encoded: 'RGF0YSB0byBlbmNvZGU=',
      decoded: 'Data to encode',
      hash: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    });
  });

  it('fails the execution with States.Runtime when a path an intrinsic reads is missing', async () => {
    const execution = await execute(pass({ 'text.$': "States.Format('{}', $.missing)" }), {});
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('States.Runtime');
  });
});

describe('input and output processing (AWS: "Processing input and output")', () => {
  it('ResultSelector shapes the raw result, ResultPath places it in the input, OutputPath filters the output', async () => {
    const execution = await execute(
      {
        StartAt: 'Both',
        States: {
          Both: {
            Type: 'Parallel',
            Branches: [
              { StartAt: 'A', States: { A: { Type: 'Pass', Result: { v: 1 }, End: true } } },
              { StartAt: 'B', States: { B: { Type: 'Pass', Result: { w: 2 }, End: true } } },
            ],
            ResultSelector: { 'first.$': '$[0].v', 'second.$': '$[1].w', fixed: 'x' },
            ResultPath: '$.steps.both',
            OutputPath: '$.steps',
            End: true,
          },
        },
      },
      { keep: true, steps: { earlier: 0 } },
    );
    expect(outputOf(execution)).toEqual({ earlier: 0, both: { first: 1, second: 2, fixed: 'x' } });
  });

  it('ResultPath null keeps the input, "$" replaces it with the result, and a new path is created', async () => {
    const execution = await execute(
      {
        StartAt: 'Discard',
        States: {
          Discard: { Type: 'Pass', Result: 'dropped', ResultPath: null, Next: 'Nest' },
          Nest: { Type: 'Pass', Result: 5, ResultPath: '$.a.b', Next: 'Copy' },
          Copy: { Type: 'Pass', Parameters: { 'seen.$': '$' }, ResultPath: '$.copy', Next: 'Replace' },
          Replace: { Type: 'Pass', Parameters: { 'all.$': '$' }, ResultPath: '$', End: true },
        },
      },
      { keep: 1 },
    );
    expect(execution.status).toBe('SUCCEEDED');
    expect(outputOf(execution)).toEqual({
      all: { keep: 1, a: { b: 5 }, copy: { seen: { keep: 1, a: { b: 5 } } } },
    });
  });

  it('ItemSelector builds each iteration input from the state input and $$.Map.Item; the Map result is the array of outputs', async () => {
    const execution = await execute(
      {
        StartAt: 'Each',
        States: {
          Each: {
            Type: 'Map',
            ItemsPath: '$.items',
            ItemSelector: {
              'value.$': '$$.Map.Item.Value',
              'index.$': '$$.Map.Item.Index',
              'shared.$': '$.shared',
            },
            ItemProcessor: {
              ProcessorConfig: { Mode: 'INLINE' },
              StartAt: 'Echo',
              States: { Echo: { Type: 'Pass', End: true } },
            },
            ResultSelector: { 'count.$': 'States.ArrayLength($)', 'all.$': '$' },
            ResultPath: '$.result',
            End: true,
          },
        },
      },
      { items: ['a', 'b'], shared: 1 },
    );
    expect(outputOf(execution).result).toEqual({
      count: 2,
      all: [
        { value: 'a', index: 0, shared: 1 },
        { value: 'b', index: 1, shared: 1 },
      ],
    });
  });
});

describe('Parallel and Map failures (AWS: "If any branch fails ... the entire Parallel state fails")', () => {
  const waitBranch = { StartAt: 'Long', States: { Long: { Type: 'Wait', Seconds: 5, End: true } } };
  const failBranch = {
    StartAt: 'Boom',
    States: { Boom: { Type: 'Fail', Error: 'Branch.Failed', Cause: 'branch two failed' } },
  };

  it("fails the Parallel with the failing branch's error and cause, and stops the other branches", async () => {
    const started = Date.now();
    const execution = await execute({
      StartAt: 'Both',
      States: { Both: { Type: 'Parallel', Branches: [waitBranch, failBranch], End: true } },
    });
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('Branch.Failed');
    expect(execution.cause).toBe('branch two failed');
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it("fails the Parallel with a branch task's error name", async () => {
    const execution = await execute({
      StartAt: 'Both',
      States: {
        Both: {
          Type: 'Parallel',
          Branches: [{ StartAt: 'Charge', States: { Charge: lambdaTask('decline', { End: true }) } }],
          End: true,
        },
      },
    });
    expect(execution.error).toBe('Declined');
  });

  it("a Catch on the Parallel receives { Error, Cause } at its ResultPath and keeps the state's input", async () => {
    const execution = await execute(
      {
        StartAt: 'Both',
        States: {
          Both: {
            Type: 'Parallel',
            Branches: [waitBranch, failBranch],
            Catch: [
              { ErrorEquals: ['Other'], Next: 'Wrong' },
              { ErrorEquals: ['Branch.Failed'], ResultPath: '$.error', Next: 'Recovered' },
            ],
            End: true,
          },
          Wrong: { Type: 'Fail', Error: 'Wrong' },
          Recovered: { Type: 'Pass', End: true },
        },
      },
      { keep: 1 },
    );
    expect(execution.status).toBe('SUCCEEDED');
    expect(outputOf(execution)).toEqual({
      keep: 1,
      error: { Error: 'Branch.Failed', Cause: 'branch two failed' },
    });
  });

  it("fails the Map with a failing iteration's error, and a Catch on the Map handles it", async () => {
    const map = (extra: object) => ({
      Type: 'Map',
      ItemsPath: '$.items',
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: 'Check',
        States: {
          Check: {
            Type: 'Choice',
            Choices: [{ Variable: '$', NumericEquals: 2, Next: 'Reject' }],
            Default: 'Accept',
          },
          Accept: { Type: 'Pass', End: true },
          Reject: { Type: 'Fail', Error: 'Item.Rejected', Cause: 'item 2' },
        },
      },
      ...extra,
    });
    const uncaught = await execute(
      { StartAt: 'Each', States: { Each: map({ End: true }) } },
      { items: [1, 2, 3] },
    );
    expect(uncaught.status).toBe('FAILED');
    expect(uncaught.error).toBe('Item.Rejected');
    expect(uncaught.cause).toBe('item 2');

    const caught = await execute(
      {
        StartAt: 'Each',
        States: {
          Each: map({
            Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Done' }],
            End: true,
          }),
          Done: { Type: 'Pass', End: true },
        },
      },
      { items: [1, 2, 3] },
    );
    expect(caught.status).toBe('SUCCEEDED');
    expect(outputOf(caught).error).toEqual({ Error: 'Item.Rejected', Cause: 'item 2' });
  });

  it('States.ALL does not catch States.Runtime: "A retry or catch on States.ALL won\'t catch States.Runtime errors"', async () => {
    const execution = await execute({
      StartAt: 'Both',
      States: {
        Both: {
          Type: 'Parallel',
          Branches: [
            {
              StartAt: 'Read',
              States: { Read: { Type: 'Pass', Parameters: { 'value.$': '$.missing' }, End: true } },
            },
          ],
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
          End: true,
        },
        Caught: { Type: 'Succeed' },
      },
    });
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('States.Runtime');
  });

  it('a Fail state reads Error and Cause from ErrorPath and CausePath, an intrinsic function included', async () => {
    const execution = await execute(
      {
        StartAt: 'Stop',
        States: {
          Stop: {
            Type: 'Fail',
            ErrorPath: '$.error.Error',
            CausePath: "States.Format('step {} failed: {}', $.step, $.error.Cause)",
          },
        },
      },
      { step: 'charge', error: { Error: 'Declined', Cause: 'card declined' } },
    );
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('Declined');
    expect(execution.cause).toBe('step charge failed: card declined');
  });
});

describe('Retry, timeouts and heartbeats (AWS: "Error handling in Step Functions")', () => {
  it('uses the first retrier whose ErrorEquals matches, even when a later one would retry', async () => {
    const execution = await execute(
      {
        StartAt: 'Call',
        States: {
          Call: lambdaTask('flaky', {
            Retry: [
              { ErrorEquals: ['FlakyError'], MaxAttempts: 0 },
              { ErrorEquals: ['States.ALL'], IntervalSeconds: 1, MaxAttempts: 3 },
            ],
            End: true,
          }),
        },
      },
      { key: 'first-retrier' },
    );
    expect(execution.error).toBe('FlakyError');
    expect(calls['first-retrier']).toBe(1);
  });

  it('retries MaxAttempts times after the first attempt, then fails with the last error', async () => {
    const execution = await execute(
      {
        StartAt: 'Call',
        States: {
          Call: lambdaTask('flaky', {
            Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 1, BackoffRate: 1, MaxAttempts: 2 }],
            End: true,
          }),
        },
      },
      { key: 'max-attempts' },
    );
    expect(execution.error).toBe('FlakyError');
    expect(execution.cause).toContain('call 3 failed');
    expect(calls['max-attempts']).toBe(3);
  });

  it('caps each retry delay at MaxDelaySeconds (IntervalSeconds x BackoffRate^n would be 1 s, then 10 s)', async () => {
    const started = Date.now();
    const execution = await execute(
      {
        StartAt: 'Call',
        States: {
          Call: lambdaTask('flaky', {
            Retry: [
              {
                ErrorEquals: ['States.ALL'],
                IntervalSeconds: 1,
                BackoffRate: 10,
                MaxDelaySeconds: 1,
                MaxAttempts: 2,
                JitterStrategy: 'NONE',
              },
            ],
            End: true,
          }),
        },
      },
      { key: 'max-delay' },
    );
    expect(execution.error).toBe('FlakyError');
    expect(calls['max-delay']).toBe(3);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(1900);
    expect(elapsed).toBeLessThan(6000);
  });

  it('fails a Task that runs past TimeoutSeconds with States.Timeout, which a Catch can name', async () => {
    const execution = await execute({
      StartAt: 'Call',
      States: {
        Call: lambdaTask('slow', {
          TimeoutSeconds: 1,
          Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'TimedOut' }],
          End: true,
        }),
        TimedOut: { Type: 'Pass', End: true },
      },
    });
    expect(execution.status).toBe('SUCCEEDED');
    expect(outputOf(execution).error.Error).toBe('States.Timeout');
  });

  it('matches a missed heartbeat (States.HeartbeatTimeout) with a retrier naming States.Timeout, as AWS does', async () => {
    const started = Date.now();
    const execution = await execute({
      StartAt: 'Wait for worker',
      States: {
        'Wait for worker': {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: { FunctionName: 'forget', Payload: { 'token.$': '$$.Task.Token' } },
          HeartbeatSeconds: 1,
          TimeoutSeconds: 30,
          Retry: [{ ErrorEquals: ['States.Timeout'], IntervalSeconds: 1, MaxAttempts: 1 }],
          End: true,
        },
      },
    });
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('States.HeartbeatTimeout');
    // Two attempts of one heartbeat interval each, one second apart: the retrier applied.
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
  });
});

describe('lambda:invoke.waitForTaskToken (AWS: "Wait for a Callback with Task Token"; "If an exception is raised within the Lambda function, the Task will fail")', () => {
  const callbackTask = (key: string, extra: object = {}) => ({
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
    Parameters: { FunctionName: 'callback', Payload: { key, 'token.$': '$$.Task.Token' } },
    ...extra,
  });
  const tokenOf = async (key: string) => {
    await expect.poll(() => tokens[key], { timeout: 5_000 }).toBeDefined();
    return tokens[key] as string;
  };

  it("results in the output sent with SendTaskSuccess, not the function's return value", async () => {
    const running = execute({
      StartAt: 'Ask',
      States: {
        Ask: callbackTask('success', {
          ResultSelector: { status: 'SUCCEEDED', 'output.$': '$' },
          ResultPath: '$.steps.ask',
          End: true,
        }),
      },
    });
    const taskToken = await tokenOf('success');
    await stateMachines
      .client()
      .send(new SendTaskSuccessCommand({ taskToken, output: '{"decision":"approve"}' }));
    const execution = await running;
    expect(execution.status).toBe('SUCCEEDED');
    expect(outputOf(execution)).toEqual({
      steps: { ask: { status: 'SUCCEEDED', output: { decision: 'approve' } } },
    });
  });

  it('fails with the error and cause sent with SendTaskFailure, which a Catch names', async () => {
    const running = execute({
      StartAt: 'Ask',
      States: {
        Ask: callbackTask('failure', {
          Catch: [{ ErrorEquals: ['Approval.Rejected'], ResultPath: '$.error', Next: 'Rejected' }],
          End: true,
        }),
        Rejected: { Type: 'Pass', End: true },
      },
    });
    const taskToken = await tokenOf('failure');
    await stateMachines
      .client()
      .send(new SendTaskFailureCommand({ taskToken, error: 'Approval.Rejected', cause: 'not now' }));
    expect(outputOf(await running).error).toEqual({ Error: 'Approval.Rejected', Cause: 'not now' });
  });

  it("fails at once with the function's error when the invocation itself fails", async () => {
    const started = Date.now();
    const execution = await execute({
      StartAt: 'Ask',
      States: {
        Ask: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: { FunctionName: 'decline', Payload: { 'token.$': '$$.Task.Token' } },
          TimeoutSeconds: 30,
          End: true,
        },
      },
    });
    expect(execution.error).toBe('Declined');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('fails with States.Timeout after TimeoutSeconds without a callback; the token then answers TaskTimedOut', async () => {
    const started = Date.now();
    const execution = await execute({
      StartAt: 'Ask',
      States: {
        Ask: callbackTask('timeout', {
          TimeoutSeconds: 1,
          Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'Expired' }],
          End: true,
        }),
        Expired: { Type: 'Pass', End: true },
      },
    });
    expect(outputOf(execution).error.Error).toBe('States.Timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    await expect(
      stateMachines
        .client()
        .send(new SendTaskSuccessCommand({ taskToken: await tokenOf('timeout'), output: '{}' })),
    ).rejects.toMatchObject({ name: 'TaskTimedOut' });
  });
});
