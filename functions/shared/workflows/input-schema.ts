// A workflow's `inputSchema`, compiled the one way both registration and task start use: JSON Schema
// draft 2020-12, evaluated by @cfworker/json-schema (an interpreter of ~23 KB minified, where ajv and its
// formats weighed ~145 KB in the api bundle). Each schema gets a Validator of its own, so an `$id` in one
// organization's schema can never collide with (or be resolved from) another's; no schema is ever fetched,
// so a `$ref` resolves only inside the schema itself. The interpreter checks nothing at construction, so
// this module does before it is used: the shape of every keyword's value, every `$ref` resolving inside
// the schema, every `format` known and every pattern runnable. What fails is reported at registration,
// naming the field, instead of failing every task start later.
//
// Patterns (`pattern`, `patternProperties`) are a tenant's regular expressions run on every task start:
// with V8's backtracking engine `^(a+)+$` takes seconds on a 30-character input and blocks the API (on
// the local stack, every tenant's). They run on V8's linear-time engine instead (the `l` flag, through a
// recorded patch of the validator: patches/@cfworker+json-schema+*.patch), which refuses what it cannot
// run in linear time (backreferences, lookarounds, counted repetitions past 16: ../linear-regex-limits.ts):
// such a schema is a 400 at registration. The linear engine has no `u` mode, so patterns are read without
// it (as ajv's `unicodeRegExp: false` did).
//
// An unknown `format` is refused: the validator would otherwise ignore it, and a schema that names a format
// presumably means it to be checked. Other unknown keywords stay ignored, as JSON Schema reads them as
// annotations. `$dynamicRef`/`$dynamicAnchor` (2020-12's extension points for meta-schemas) are refused as
// unsupported: the validator does not implement them, and an input schema has no use for them.
import { setFlagsFromString } from 'node:v8';
import {
  dereference,
  validate as evaluate,
  format,
  type OutputUnit,
  type Schema,
  schemaArrayKeyword,
  schemaKeyword,
  schemaMapKeyword,
} from '@cfworker/json-schema';
import { LINEAR_REGEX_REFUSES } from '../linear-regex-limits';

setFlagsFromString('--enable-experimental-regexp-engine');

export const SUPPORTED_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

// The OpenAPI numeric and string formats ajv-formats knew, so a schema registered with them still compiles.
const INT32 = 2 ** 31;
Object.assign(format, {
  int32: (value: string) => Number.isInteger(Number(value)) && Math.abs(Number(value)) <= INT32,
  int64: (value: string) => /^-?\d+$/.test(value),
  float: (value: string) => !Number.isNaN(Number(value)),
  double: (value: string) => !Number.isNaN(Number(value)),
  byte: (value: string) => /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(value),
  password: () => true,
  binary: () => true,
});

/** One problem with an input: where (a JSON pointer fragment, `#/a/0`) and what. */
export type InputError = Pick<OutputUnit, 'instanceLocation' | 'keyword' | 'error'>;

/** True when `data` conforms; the problems of the last call are then in `errors`. */
export type InputValidate = ((data: unknown) => boolean) & { errors?: readonly InputError[] | null };

export class InvalidInputSchemaError extends Error {
  override name = 'InvalidInputSchemaError';
  constructor(
    readonly field: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Compiles `schema`; throws InvalidInputSchemaError naming the field (`inputSchema`, `inputSchema.$schema`). */
export function compileInputSchema(schema: Record<string, unknown>): InputValidate {
  const dialect = schema.$schema;
  if (
    dialect !== undefined &&
    dialect !== SUPPORTED_SCHEMA_DIALECT &&
    dialect !== `${SUPPORTED_SCHEMA_DIALECT}#`
  ) {
    throw new InvalidInputSchemaError(
      'inputSchema.$schema',
      `inputSchema.$schema ${JSON.stringify(dialect)} is not supported; use ${SUPPORTED_SCHEMA_DIALECT} or leave it out`,
    );
  }
  // The validator marks the schema's objects as it resolves references: it gets a copy of its own.
  const copy = structuredClone(schema) as Schema;
  const problem = checkSchema(copy, '#');
  if (problem) throw new InvalidInputSchemaError('inputSchema', problem);
  let lookup: Record<string, Schema | boolean>;
  try {
    lookup = dereference(copy);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidInputSchemaError(
      'inputSchema',
      `inputSchema is not a valid JSON Schema (draft 2020-12, no remote $ref): ${reason}`,
      { cause: error },
    );
  }
  const dangling = danglingReference(copy, '#', lookup);
  if (dangling) {
    throw new InvalidInputSchemaError(
      'inputSchema',
      `inputSchema is not a valid JSON Schema (draft 2020-12, no remote $ref): $ref ${JSON.stringify(dangling.ref)} at ${dangling.at} resolves to nothing inside the schema`,
    );
  }
  const validate: InputValidate = (data) => {
    const { valid, errors } = evaluate(data, copy, '2020-12', lookup, false);
    validate.errors = valid ? null : leafErrors(errors);
    return valid;
  };
  // A reference cycle that reads no deeper into the input ({"$ref": "#"}) passes every check above, then
  // recurses until the stack overflows on whatever it is given.
  for (const sample of [null, {}, [], '', 0]) {
    try {
      validate(sample);
    } catch (error) {
      if (error instanceof RangeError) throw new SelfReferentialSchemaError({ cause: error });
      throw error;
    }
  }
  return validate;
}

/** A schema whose references loop without reading deeper into the input: nothing can be checked against it. */
export class SelfReferentialSchemaError extends InvalidInputSchemaError {
  override name = 'SelfReferentialSchemaError';
  constructor(options?: ErrorOptions) {
    super(
      'inputSchema',
      'inputSchema refers to itself without reading deeper into the input (such as {"$ref": "#"}), so no input can be checked against it',
      options,
    );
  }
}

/** The errors no other error explains: the validator also reports each enclosing `properties`, `$ref`... */
function leafErrors(errors: readonly OutputUnit[]): InputError[] {
  return errors.filter(
    ({ keywordLocation }) => !errors.some((other) => other.keywordLocation.startsWith(`${keywordLocation}/`)),
  );
}

const TYPES = new Set(['null', 'boolean', 'object', 'array', 'number', 'string', 'integer']);
const COUNTS = [
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'minContains',
  'maxContains',
];
const BOUNDS = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'];
const UNSUPPORTED = ['$dynamicRef', '$dynamicAnchor', '$recursiveRef', '$recursiveAnchor'];

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isStringArray = (value: unknown) =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');
const child = (at: string, ...keys: (string | number)[]) =>
  `${at}/${keys.map((key) => String(key).replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`;

/** Compiles a tenant's pattern the way the validator will run it; the reason when it cannot. */
function patternProblem(pattern: string, at: string): string | undefined {
  try {
    new RegExp(pattern, 'l');
    return undefined;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return reason.includes('linear time')
      ? `inputSchema has a pattern that cannot run in linear time (${LINEAR_REGEX_REFUSES}) at ${at}: ${reason}`
      : `inputSchema is not a valid JSON Schema (draft 2020-12, no remote $ref): invalid pattern at ${at}: ${reason}`;
  }
}

/** The first problem with a (sub)schema at JSON pointer `at`, in the keywords the validator reads. */
function checkSchema(schema: unknown, at: string): string | undefined {
  if (typeof schema === 'boolean') return undefined;
  const invalid = (what: string) =>
    `inputSchema is not a valid JSON Schema (draft 2020-12, no remote $ref): ${what}`;
  if (!isObject(schema)) return invalid(`${at} must be an object or a boolean`);
  for (const keyword of UNSUPPORTED) {
    if (keyword in schema) return `inputSchema uses ${keyword} at ${at}, which is not supported`;
  }
  const { type, format: named, pattern, required, $ref } = schema;
  if (type !== undefined) {
    const types = Array.isArray(type) ? type : [type];
    if (types.length === 0 || !types.every((each) => TYPES.has(each as string))) {
      return invalid(`${child(at, 'type')} must be one of ${[...TYPES].join(', ')}, or a list of them`);
    }
  }
  if (named !== undefined) {
    if (typeof named !== 'string') return invalid(`${child(at, 'format')} must be a string`);
    if (!(named in format)) {
      return `inputSchema uses the unknown format ${JSON.stringify(named)} at ${at}; known formats: ${Object.keys(format).join(', ')}`;
    }
  }
  if (pattern !== undefined) {
    if (typeof pattern !== 'string') return invalid(`${child(at, 'pattern')} must be a string`);
    const problem = patternProblem(pattern, child(at, 'pattern'));
    if (problem) return problem;
  }
  if (isObject(schema.patternProperties)) {
    for (const key of Object.keys(schema.patternProperties)) {
      const problem = patternProblem(key, child(at, 'patternProperties', key));
      if (problem) return problem;
    }
  }
  if ($ref !== undefined && typeof $ref !== 'string') return invalid(`${child(at, '$ref')} must be a string`);
  if (required !== undefined && !isStringArray(required)) {
    return invalid(`${child(at, 'required')} must be a list of property names`);
  }
  if (schema.enum !== undefined && !Array.isArray(schema.enum)) {
    return invalid(`${child(at, 'enum')} must be a list`);
  }
  if (schema.uniqueItems !== undefined && typeof schema.uniqueItems !== 'boolean') {
    return invalid(`${child(at, 'uniqueItems')} must be true or false`);
  }
  for (const keyword of COUNTS) {
    const value = schema[keyword];
    if (value !== undefined && !(Number.isInteger(value) && (value as number) >= 0)) {
      return invalid(`${child(at, keyword)} must be a non-negative integer`);
    }
  }
  for (const keyword of BOUNDS) {
    const value = schema[keyword];
    if (value !== undefined && !Number.isFinite(value))
      return invalid(`${child(at, keyword)} must be a number`);
  }
  if (
    schema.multipleOf !== undefined &&
    !(Number.isFinite(schema.multipleOf) && (schema.multipleOf as number) > 0)
  ) {
    return invalid(`${child(at, 'multipleOf')} must be a number greater than 0`);
  }
  if (schema.dependentRequired !== undefined) {
    if (
      !isObject(schema.dependentRequired) ||
      !Object.values(schema.dependentRequired).every(isStringArray)
    ) {
      return invalid(`${child(at, 'dependentRequired')} must map property names to lists of property names`);
    }
  }
  return eachSubschema(schema, at, checkSchema);
}

/** Calls `visit` on each subschema of `schema` (by the validator's own keyword tables) until one answers. */
function eachSubschema(
  schema: Record<string, unknown>,
  at: string,
  visit: (subschema: unknown, at: string) => string | undefined,
): string | undefined {
  for (const [keyword, value] of Object.entries(schema)) {
    let answer: string | undefined;
    if (Array.isArray(value) && keyword in schemaArrayKeyword) {
      if (keyword !== 'items' && value.length === 0) {
        return `inputSchema is not a valid JSON Schema (draft 2020-12, no remote $ref): ${child(at, keyword)} must not be empty`;
      }
      for (const [index, item] of value.entries()) {
        answer ??= visit(item, child(at, keyword, index));
      }
    } else if (keyword in schemaMapKeyword) {
      if (!isObject(value)) {
        return `inputSchema is not a valid JSON Schema (draft 2020-12, no remote $ref): ${child(at, keyword)} must be an object`;
      }
      for (const [key, item] of Object.entries(value)) answer ??= visit(item, child(at, keyword, key));
    } else if (keyword in schemaKeyword || keyword in schemaArrayKeyword) {
      answer = visit(value, child(at, keyword));
    }
    if (answer) return answer;
  }
  return undefined;
}

/** The first `$ref` the validator would fail to resolve (it throws only when evaluation reaches it). */
function danglingReference(
  schema: unknown,
  at: string,
  lookup: Record<string, unknown>,
): { ref: string; at: string } | undefined {
  if (!isObject(schema)) return undefined;
  if (typeof schema.$ref === 'string') {
    const uri = (schema as { __absolute_ref__?: string }).__absolute_ref__ ?? schema.$ref;
    if (lookup[uri] === undefined) return { ref: schema.$ref, at };
  }
  let found: { ref: string; at: string } | undefined;
  eachSubschema(schema, at, (subschema, path) => {
    found = danglingReference(subschema, path, lookup);
    return found && 'found';
  });
  return found;
}
