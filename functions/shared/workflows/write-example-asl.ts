// Compiles every example workflow (examples/workflows/*.json) to statemachines/<id>.asl.json, with the
// step runner left as the `${StepRunnerFunctionArn}` placeholder the stack substitutes:
// `npx tsx functions/shared/workflows/write-example-asl.ts`. test/unit/workflows/examples.test.ts fails
// when a checked-in file is stale.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AslDefinition, compileWorkflow } from './compile-workflow';
import { validateWorkflow } from './validate-workflow';

export const EXAMPLES_DIR = fileURLToPath(new URL('../../../examples/workflows/', import.meta.url));
export const STATE_MACHINES_DIR = fileURLToPath(new URL('../../../statemachines/', import.meta.url));

export interface CompiledExample {
  readonly id: string;
  readonly file: string;
  readonly asl: AslDefinition;
}

/** Validates and compiles each example; throws with the validation errors of a broken one. */
export function compileExamples(dir = EXAMPLES_DIR): CompiledExample[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => {
      const result = validateWorkflow(JSON.parse(readFileSync(join(dir, name), 'utf8')));
      if (!result.ok) throw new Error(`${name}: ${result.errors.map((e) => e.message).join('; ')}`);
      const { id } = result.definition;
      return {
        id,
        file: join(STATE_MACHINES_DIR, `${id}.asl.json`),
        asl: compileWorkflow(result.definition),
      };
    });
}

export const formatAsl = (asl: AslDefinition): string => `${JSON.stringify(asl, null, 2)}\n`;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const example of compileExamples()) {
    writeFileSync(example.file, formatAsl(example.asl));
    console.log(`wrote ${example.file}`);
  }
}
