// Task input checked against the workflow's own JSON Schema, compiled once per workflow version the way
// registration compiled it (workflows/input-schema.ts).
import { type ErrorDetail, ValidationError } from '../http/errors';
import {
  compileInputSchema,
  type InputValidate,
  InvalidInputSchemaError,
  SelfReferentialSchemaError,
} from '../workflows/input-schema';

/** Compiled schemas kept per container; a version's schema never changes, so entries never go stale. */
const MAX_CACHED = 500;

export class InputValidator {
  private readonly compiled = new Map<string, InputValidate>();

  /** Returns the problems with `input`, each naming its field; empty when it conforms. */
  validate(cacheKey: string, schema: Record<string, unknown> | undefined, input: unknown): ErrorDetail[] {
    if (!schema) return [];
    const validate = this.compile(cacheKey, schema);
    if (this.conforms(validate, input)) return [];
    return (validate.errors ?? []).map((error) => {
      const path = error.instanceLocation
        .split('/')
        .slice(1)
        .map((segment) => decodeURIComponent(segment).replaceAll('~1', '/').replaceAll('~0', '~'));
      const missing =
        error.keyword === 'required' ? /required property "(.*)"\.$/.exec(error.error)?.[1] : undefined;
      if (missing !== undefined) path.push(missing);
      const field = ['input', ...path].join('.');
      return { field, message: missing !== undefined ? `${field} is required` : `${field}: ${error.error}` };
    });
  }

  /** A loop registration's probe missed (one reached only through the input) overflows here instead. */
  private conforms(validate: InputValidate, input: unknown): boolean {
    try {
      return validate(input);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      const { message } = new SelfReferentialSchemaError();
      throw new ValidationError(`The workflow's ${message} for this input; register a new version`, [
        { field: 'input', rule: 'invalid-input-schema', message },
      ]);
    }
  }

  private compile(cacheKey: string, schema: Record<string, unknown>): InputValidate {
    const cached = this.compiled.get(cacheKey);
    if (cached) return cached;
    let validate: InputValidate;
    try {
      validate = compileInputSchema(schema);
    } catch (error) {
      // Only a version registered before registration compiled schemas can get here.
      if (!(error instanceof InvalidInputSchemaError)) throw error;
      throw new ValidationError(`The workflow's ${error.message}; register a new version with a valid one`, [
        { field: error.field, rule: 'invalid-input-schema', message: error.message },
      ]);
    }
    if (this.compiled.size >= MAX_CACHED) {
      const oldest = this.compiled.keys().next().value;
      if (oldest !== undefined) this.compiled.delete(oldest);
    }
    this.compiled.set(cacheKey, validate);
    return validate;
  }
}
