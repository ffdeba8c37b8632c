// Regenerates docs/workflow.schema.json from the zod schema: `npx tsx functions/shared/workflows/write-schema.ts`.
// test/unit/workflows/workflow-schema.test.ts fails when the checked-in file is stale.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { workflowJsonSchema } from './definition-docs';

export const WORKFLOW_SCHEMA_FILE = fileURLToPath(
  new URL('../../../docs/workflow.schema.json', import.meta.url),
);

/** Writes the schema, formatted by the project's Biome so `npm run lint` accepts the file as written. */
export function writeWorkflowSchema(file = WORKFLOW_SCHEMA_FILE): void {
  writeFileSync(file, `${JSON.stringify(workflowJsonSchema(), null, 2)}\n`);
  const biome = fileURLToPath(new URL('../../../node_modules/.bin/biome', import.meta.url));
  execFileSync(biome, ['format', '--write', file], { stdio: 'ignore' });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeWorkflowSchema();
  console.log(`wrote ${WORKFLOW_SCHEMA_FILE}`);
}
