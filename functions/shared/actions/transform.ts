// The `transform` step action: reshapes data with a JSONata expression. Compiled expressions are cached
// (bounded, least recently used first out) because a warm step runner sees the same few expressions
// over and over. Evaluation is guarded by JSONata's own time and depth limits so a runaway expression
// fails the step instead of the Lambda; its regular expressions run in linear time (linear-regex.ts),
// which no time limit could have enforced on a native match.
import jsonata from 'jsonata';
import * as z from '../zod-mini';
import { TransformError } from './errors';
import { LinearRegexEngine, nonLinearRegexIn } from './linear-regex';
import { parseStepParams } from './step-params';
import { MAX_EXPRESSION_LENGTH } from './transform-limits';

const CACHE_SIZE = 200;
/** Generous for reshaping a step's data; an endless (tail-recursive) loop stops here. */
export const TRANSFORM_TIMEOUT_MS = 5_000;
const MAX_DEPTH = 500;
/**
 * A step's output travels in the execution's state, which Step Functions caps at 256 KB: a bigger result
 * ([1..10000000] is 80 MB) fails the step here, by name, instead of in Step Functions or the local stack.
 */
export const MAX_RESULT_BYTES = 256 * 1024;

export const TransformParamsSchema = z.strictObject({
  expression: z.string().check(z.minLength(1), z.maxLength(MAX_EXPRESSION_LENGTH)),
  data: z.optional(z.unknown()),
});

export type TransformParams = z.input<typeof TransformParamsSchema>;

const compiled = new Map<string, jsonata.Expression>();

/** Evaluates `expression` against `data`. JSONata's "no match" (undefined) comes back as null. */
export async function runTransformAction(
  params: TransformParams,
  options: { readonly timeoutMs?: number } = {},
): Promise<unknown> {
  const { expression, data } = parseStepParams('transform', TransformParamsSchema, params);
  const compiledExpression = compile(expression, options.timeoutMs ?? TRANSFORM_TIMEOUT_MS);
  let text: string;
  try {
    // JSON round trip: drops JSONata's internal sequence flags and turns undefined into null.
    const result = await compiledExpression.evaluate(data);
    text = result === undefined ? 'null' : JSON.stringify(result);
  } catch (error) {
    throw toTransformError('evaluate', error);
  }
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_RESULT_BYTES) {
    throw new TransformError(
      `JSONata result is ${bytes} bytes, over the ${MAX_RESULT_BYTES} bytes a step output may hold (Step Functions' 256 KB state limit)`,
    );
  }
  return JSON.parse(text);
}

function compile(expression: string, timeoutMs: number): jsonata.Expression {
  // The limits are compiled into the expression, so they are part of the key.
  const key = `${timeoutMs}\u0000${expression}`;
  const cached = compiled.get(key);
  if (cached) {
    compiled.delete(key);
    compiled.set(key, cached);
    return cached;
  }
  let fresh: jsonata.Expression;
  try {
    fresh = jsonata(expression, { timeout: timeoutMs, stack: MAX_DEPTH, RegexEngine: LinearRegexEngine });
  } catch (error) {
    throw toTransformError('compile', error);
  }
  const nonLinear = nonLinearRegexIn(fresh.ast());
  if (nonLinear) throw new TransformError(`JSONata expression refused: ${nonLinear}`);
  compiled.set(key, fresh);
  if (compiled.size > CACHE_SIZE) {
    const oldest = compiled.keys().next().value;
    if (oldest !== undefined) compiled.delete(oldest);
  }
  return fresh;
}

/** JSONata throws plain objects `{ code, position, token, message }`, not Errors. */
function toTransformError(phase: 'compile' | 'evaluate', error: unknown): TransformError {
  const raw = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    position?: unknown;
    token?: unknown;
    message?: unknown;
  };
  const message = typeof raw.message === 'string' ? raw.message : String(error);
  const code = typeof raw.code === 'string' ? raw.code : undefined;
  const position = typeof raw.position === 'number' ? raw.position : undefined;
  const token = typeof raw.token === 'string' ? raw.token : undefined;
  const where = position !== undefined ? ` at position ${position}` : '';
  return new TransformError(
    `JSONata ${phase === 'compile' ? 'syntax' : 'evaluation'} error${code ? ` ${code}` : ''}${where}: ${message}`,
    { ...(code && { code }), ...(position !== undefined && { position }), ...(token && { token }) },
    { cause: error },
  );
}
