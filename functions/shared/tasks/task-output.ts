// The task's output as its item stores it: what the steps produced (`{ <stepId>: { status, output } }`),
// shaped so the item can always be written. Step outputs are user data of any shape (a transform's
// result, an HTTP response), but DynamoDB refuses an item nested deeper than 32 levels and a write that
// fails would leave the task unsettled for good. So a step output that would nest too deep, like an
// output too large for the item, is kept as a JSON preview marked `truncated: true`.

import { TABLE } from '../resources';

/** DynamoDB's nesting limit, the attribute's own map counting as the first level. */
export const MAX_STORED_DEPTH = TABLE.maxNestingDepth;
const MAX_OUTPUT_CHARS = 32_000;
const PREVIEW_CHARS = 2_000;

export interface TruncatedValue {
  readonly truncated: true;
  /** The start of the value's JSON. */
  readonly preview: string;
}

/** The `output` attribute for an execution's raw output. */
export function summarizeOutput(raw: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { truncated: raw.length > MAX_OUTPUT_CHARS, preview: raw.slice(0, PREVIEW_CHARS) };
  }
  const steps = fitStepsToDepth((isRecord(parsed) ? parsed.steps : undefined) ?? parsed);
  const text = JSON.stringify(steps) ?? '';
  return text.length <= MAX_OUTPUT_CHARS ? steps : truncate(text);
}

/**
 * `steps` within MAX_STORED_DEPTH levels: a step entry that would go deeper keeps its status and error
 * and has its output replaced by a preview (the whole entry, when it is not of that shape).
 */
export function fitStepsToDepth(steps: unknown): unknown {
  if (depthOf(steps, MAX_STORED_DEPTH) <= MAX_STORED_DEPTH) return steps;
  if (!isRecord(steps)) return truncate(steps);
  const entryBudget = MAX_STORED_DEPTH - 1;
  return Object.fromEntries(
    Object.entries(steps).map(([stepId, entry]) => {
      if (depthOf(entry, entryBudget) <= entryBudget) return [stepId, entry];
      if (isRecord(entry) && 'output' in entry) {
        const { output, ...rest } = entry;
        if (depthOf(rest, entryBudget) <= entryBudget) return [stepId, { ...rest, output: truncate(output) }];
      }
      return [stepId, truncate(entry)];
    }),
  );
}

/**
 * Levels of maps and lists in `value` (a scalar is 0), counted without recursion so no depth overflows
 * the stack; stops counting past `limit`.
 */
export function depthOf(value: unknown, limit: number): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[value, 0]];
  for (let entry = pending.pop(); entry !== undefined; entry = pending.pop()) {
    const [node, above] = entry;
    if (typeof node !== 'object' || node === null) continue;
    const depth = above + 1;
    if (depth > deepest) deepest = depth;
    if (deepest > limit) return deepest;
    for (const child of Object.values(node)) pending.push([child, depth]);
  }
  return deepest;
}

function truncate(value: unknown): TruncatedValue {
  let text = '';
  try {
    text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  } catch {
    // Deeper than JSON.stringify can walk: nothing to preview.
  }
  return { truncated: true, preview: text.slice(0, PREVIEW_CHARS) };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
