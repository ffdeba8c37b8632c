// A workflow's `inputSchema`, compiled the one way both registration and task start use: JSON Schema
// draft 2020-12 with ajv and its formats. Each schema gets an Ajv instance of its own, so an `$id` in one
// organization's schema can never collide with (or be resolved from) another's; no schema is ever
// fetched, so a `$ref` resolves only inside the schema itself. Anything ajv cannot compile is reported
// at registration, naming the field, instead of failing every task start later.
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

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
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats.default(ajv);
  try {
    return ajv.compile(schema) as InputValidate;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidInputSchemaError(
      'inputSchema',
      `inputSchema is not a valid JSON Schema (draft 2020-12, no remote $ref): ${reason}`,
      { cause: error },
    );
  }
}
