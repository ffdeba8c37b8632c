// Example inputs: examples/inputs/<workflowId>.json holds an input for the example workflow of that id,
// valid against its inputSchema (test/unit/workflows/examples.test.ts checks each). `tasks start
// <workflowId> --example` sends it.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const EXAMPLE_INPUTS_DIR = fileURLToPath(new URL('../../examples/inputs/', import.meta.url));

export class NoExampleInput extends Error {
  override name = 'NoExampleInput';
}

/** The ids that have an example input, sorted. */
export async function exampleInputIds(dir = EXAMPLE_INPUTS_DIR): Promise<string[]> {
  const names = await readdir(dir).catch(() => []);
  return names
    .filter((name) => name.endsWith('.json'))
    .map((name) => name.slice(0, -'.json'.length))
    .sort();
}

/** The example input of `workflowId`; NoExampleInput, listing those that exist, when it has none. */
export async function readExampleInput(workflowId: string, dir = EXAMPLE_INPUTS_DIR): Promise<unknown> {
  const ids = await exampleInputIds(dir);
  // Only listed ids are read, so a workflow id never becomes a path of its own.
  if (!ids.includes(workflowId)) {
    throw new NoExampleInput(
      `No example input for workflow "${workflowId}" (examples/inputs/${workflowId}.json); ` +
        `examples with one: ${ids.join(', ') || 'none'}. Pass --input instead.`,
    );
  }
  const text = await readFile(join(dir, `${workflowId}.json`), 'utf8');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`examples/inputs/${workflowId}.json is not JSON: ${(error as Error).message}`);
  }
}
