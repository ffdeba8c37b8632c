// Task input checked against the workflow's own JSON Schema (ajv), compiled once per workflow version.
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { ErrorDetail } from '../http/errors';

type Validate = ((data: unknown) => boolean) & {
  errors?: { instancePath: string; message?: string; params: Record<string, unknown> }[] | null;
};

export class InputValidator {
  private readonly ajv = new Ajv2020({ allErrors: true, strict: false });
  private readonly compiled = new Map<string, Validate>();

  constructor() {
    addFormats.default(this.ajv);
  }

  /** Returns the problems with `input`, each naming its field; empty when it conforms. */
  validate(cacheKey: string, schema: object | undefined, input: unknown): ErrorDetail[] {
    if (!schema) return [];
    let validate = this.compiled.get(cacheKey);
    if (!validate) {
      validate = this.ajv.compile(schema) as Validate;
      this.compiled.set(cacheKey, validate);
    }
    if (validate(input)) return [];
    return (validate.errors ?? []).map((error) => {
      const missing = error.params.missingProperty;
      const path = `${error.instancePath}${typeof missing === 'string' ? `/${missing}` : ''}`;
      const field = `input${path.replaceAll('/', '.')}`;
      const problem = typeof missing === 'string' ? 'is required' : (error.message ?? 'is invalid');
      return { field, message: `${field} ${problem}` };
    });
  }
}
