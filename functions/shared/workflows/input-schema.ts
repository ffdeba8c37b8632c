// A workflow's `inputSchema`, compiled the one way both registration and task start use: JSON Schema
// draft 2020-12 with ajv and its formats. Each schema gets an Ajv instance of its own, so an `$id` in one
// organization's schema can never collide with (or be resolved from) another's; no schema is ever
// fetched, so a `$ref` resolves only inside the schema itself. Anything ajv cannot compile is reported
// at registration, naming the field, instead of failing every task start later.
//
// Patterns (`pattern`, `patternProperties`) are a tenant's regular expressions run on every task start:
// with V8's backtracking engine `^(a+)+$` takes seconds on a 30-character input and blocks the API (on
// the local stack, every tenant's). They run on V8's linear-time engine instead (the `l` flag), which
// refuses what it cannot run in linear time (backreferences, lookarounds): such a schema is a 400 at
// registration.
//
// An unknown `format` is refused: ajv would otherwise ignore it, and a schema that names a format
// presumably means it to be checked. Other unknown keywords stay ignored, as JSON Schema reads them as
// annotations. ajv ties both to `strictSchema`: `'log'` sends unknown keywords to the (silent) logger
// but throws for an unknown format, which only `strictSchema: false` ignores.
import { setFlagsFromString } from 'node:v8';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

setFlagsFromString('--enable-experimental-regexp-engine');

/** ajv's RegExp engine option: the same RegExp, compiled for the linear-time engine. */
const linearRegExp = Object.assign((pattern: string, flags: string) => new RegExp(pattern, `${flags}l`), {
  code: 'linearRegExp',
});

export const SUPPORTED_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

export type InputValidate = ((data: unknown) => boolean) & {
  errors?: { instancePath: string; message?: string; params: Record<string, unknown> }[] | null;
};

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
  const ajv = new Ajv2020({
    allErrors: true,
    strict: false,
    strictSchema: 'log',
    // Otherwise strict mode tests each patternProperties pattern on the `properties` names with a
    // backtracking RegExp (to warn about overlaps), outside the linear-time engine.
    allowMatchingProperties: true,
    logger: false,
    unicodeRegExp: false,
    // 0.3 is a multiple of 0.1, though 0.3 / 0.1 is 2.9999999999999996 in binary floating point.
    multipleOfPrecision: 9,
    code: { regExp: linearRegExp },
  });
  addFormats.default(ajv);
  let validate: InputValidate;
  try {
    validate = ajv.compile(schema) as InputValidate;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const format = /^unknown format "(.*)" ignored in schema at path "(.*)"$/.exec(reason);
    if (format) {
      throw new InvalidInputSchemaError(
        'inputSchema',
        `inputSchema uses the unknown format ${JSON.stringify(format[1])} at ${format[2]}; known formats: ${Object.keys(ajv.formats).join(', ')}`,
        { cause: error },
      );
    }
    if (reason.includes('linear time')) {
      throw new InvalidInputSchemaError(
        'inputSchema',
        `inputSchema has a pattern that cannot run in linear time (backreferences are not supported): ${reason}`,
        { cause: error },
      );
    }
    throw new InvalidInputSchemaError(
      'inputSchema',
      `inputSchema is not a valid JSON Schema (draft 2020-12, no remote $ref): ${reason}`,
      { cause: error },
    );
  }
  // A reference cycle that reads no deeper into the input ({"$ref": "#"}, an unanchored $dynamicRef)
  // compiles, then recurses until the stack overflows on whatever it is given.
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
