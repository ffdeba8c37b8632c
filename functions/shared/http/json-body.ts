// Request bodies: JSON only, at most 256 KB (Step Functions' own input limit, so anything accepted here
// also fits an execution input) and at most 32 levels deep, parsed with an error that says where it broke.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from './errors';

export const MAX_BODY_BYTES = 256 * 1024;

/**
 * DynamoDB stores maps and lists at most 32 levels deep. A body is stored with no wrapper (a workflow
 * definition is its version item's `definition` attribute; a task's `input` sits one level below the
 * body), so a body within 32 levels always fits. Bounding depth here also keeps every recursive walk
 * behind the edge (validation, compilation, the local interpreter) far from a stack overflow.
 */
export const MAX_JSON_DEPTH = 32;

export function parseJsonBody(event: APIGatewayProxyEventV2, maxBytes = MAX_BODY_BYTES): unknown {
  const contentType = event.headers['content-type'];
  if (!contentType || !/^application\/json\s*(;|$)/i.test(contentType)) {
    throw new UnsupportedMediaTypeError(contentType);
  }
  const raw = event.isBase64Encoded
    ? Buffer.from(event.body ?? '', 'base64')
    : Buffer.from(event.body ?? '', 'utf8');
  if (raw.length > maxBytes) throw new PayloadTooLargeError(maxBytes);
  if (raw.length === 0) throw new BadRequestError('Request body is empty; expected a JSON object');
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw new BadRequestError(`Malformed JSON: ${(error as Error).message}`, undefined, { cause: error });
  }
  assertJsonDepth(body, MAX_JSON_DEPTH);
  return body;
}

/** Throws a 400 naming the outermost field whose value nests deeper than `maxDepth` levels. */
export function assertJsonDepth(value: unknown, maxDepth: number, field = 'body'): void {
  const tooDeep = deepestField(value, maxDepth);
  if (tooDeep === undefined) return;
  const name = tooDeep === '' ? field : field === 'body' ? tooDeep : `${field}.${tooDeep}`;
  throw new ValidationError(`${name} nests deeper than ${maxDepth} levels`, [
    {
      field: name,
      rule: 'max-depth',
      message: `${name} nests deeper than ${maxDepth} levels of objects and arrays`,
    },
  ]);
}

/**
 * The top-level key (or '' for the value itself) under which `value` nests deeper than `maxDepth`
 * objects/arrays, or undefined when it does not. Iterative, so no input can exhaust the stack.
 */
function deepestField(value: unknown, maxDepth: number): string | undefined {
  const pending: { node: unknown; depth: number; top: string }[] = [{ node: value, depth: 0, top: '' }];
  for (let entry = pending.pop(); entry !== undefined; entry = pending.pop()) {
    const { node, depth, top } = entry;
    if (typeof node !== 'object' || node === null) continue;
    if (depth + 1 > maxDepth) return top;
    const children = Array.isArray(node) ? node.entries() : Object.entries(node);
    for (const [key, child] of children) {
      pending.push({ node: child, depth: depth + 1, top: depth === 0 ? String(key) : top });
    }
  }
  return undefined;
}
