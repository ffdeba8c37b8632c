// Request bodies: JSON only, in UTF-8, at most 256 KB (Step Functions' own input limit, so anything accepted
// here also fits an execution input), at most 32 levels deep and storable as sent (numbers DynamoDB can
// hold, no __proto__ keys, no lone surrogates), parsed with an error that says where it broke.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { TABLE } from '../resources';
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from './errors';
import { shownText } from './shown-text';

export const MAX_BODY_BYTES = 256 * 1024;

/**
 * How much of a header value a 415 shows: headers reach 16 KB and may hold C1 control characters (Latin-1
 * bytes 0x80-0x9F), which a message shows escaped, as other client text (shown-text.ts).
 */
const MAX_SHOWN_HEADER = 100;

/**
 * DynamoDB stores maps and lists at most 32 levels deep. A body is stored with no wrapper (a workflow
 * definition is its version item's `definition` attribute; a task's `input` sits one level below the
 * body), so a body within 32 levels always fits. Bounding depth here also keeps every recursive walk
 * behind the edge (validation, compilation, the local interpreter) far from a stack overflow.
 */
export const MAX_JSON_DEPTH = TABLE.maxNestingDepth;

export function parseJsonBody(event: APIGatewayProxyEventV2, maxBytes = MAX_BODY_BYTES): unknown {
  const contentType = event.headers['content-type'];
  if (!contentType || !/^application\/json\s*(;|$)/i.test(contentType)) {
    const message = `Content-Type must be application/json, got ${contentType === undefined ? 'none' : shownText(contentType, MAX_SHOWN_HEADER)}`;
    throw new UnsupportedMediaTypeError(message, [{ field: 'Content-Type', rule: 'media-type', message }]);
  }
  assertUtf8Charset(contentType);
  const encoding = event.headers['content-encoding']?.trim();
  if (encoding && !/^identity$/i.test(encoding)) {
    // Bodies are read as sent: a compressed one would be misread as JSON, so it is refused by name.
    const message = `Content-Encoding must be absent (or identity): the body is read uncompressed, got ${shownText(encoding, MAX_SHOWN_HEADER)}`;
    throw new UnsupportedMediaTypeError(message, [{ field: 'Content-Encoding', rule: 'encoding', message }]);
  }
  const raw = event.isBase64Encoded
    ? Buffer.from(event.body ?? '', 'base64')
    : Buffer.from(event.body ?? '', 'utf8');
  if (raw.length > maxBytes) throw new PayloadTooLargeError(maxBytes);
  if (raw.length === 0) {
    throw new BadRequestError('Request body is empty; expected a JSON object', [
      { field: 'body', rule: 'json', message: 'body is empty' },
    ]);
  }
  const text = decodeUtf8(raw);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    const message = `Malformed JSON: ${(error as Error).message}`;
    throw new BadRequestError(message, [{ field: 'body', rule: 'json', message }], { cause: error });
  }
  assertStorableJson(body, MAX_JSON_DEPTH);
  return body;
}

/**
 * JSON between systems is UTF-8 (RFC 8259 §8.1), and the body is read as such: a `charset` naming another
 * encoding would have its text silently misread, so it is refused (415) rather than guessed at.
 */
function assertUtf8Charset(contentType: string): void {
  // One media type with one charset: a repeated header arrives joined with commas, and a second charset
  // would leave which one the body is in to the reader.
  const charsets = [...contentType.matchAll(/;\s*charset\s*=\s*"?([^";\s]*)/gi)].map((match) => match[1]);
  if (contentType.includes(',') || charsets.length > 1) {
    const message = `Content-Type must be one media type with at most one charset, got ${shownText(contentType, MAX_SHOWN_HEADER)}`;
    throw new UnsupportedMediaTypeError(message, [{ field: 'Content-Type', rule: 'media-type', message }]);
  }
  const charset = charsets[0];
  if (charset === undefined || /^utf-?8$/i.test(charset)) return;
  const message = `Content-Type charset must be utf-8, got ${charset ? shownText(charset, MAX_SHOWN_HEADER) : 'an empty charset'}`;
  throw new UnsupportedMediaTypeError(message, [{ field: 'Content-Type', rule: 'charset', message }]);
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The body's text; bytes that are not UTF-8 are refused, not replaced by U+FFFD (a lossy accept). */
function decodeUtf8(raw: Buffer): string {
  try {
    return UTF8.decode(raw);
  } catch (error) {
    const message = 'body is not valid UTF-8';
    throw new BadRequestError(`Request ${message}`, [{ field: 'body', rule: 'utf-8', message }], {
      cause: error,
    });
  }
}

/** DynamoDB's number range; the SDK also refuses integers it cannot represent exactly. */
const MAX_DECIMAL = 1e126;
const MIN_DECIMAL = 1e-130;
/**
 * A UTF-16 surrogate not part of a pair (`"\ud800"` in JSON). It has no UTF-8 form, so DynamoDB and Step
 * Functions would store U+FFFD instead: two different idempotency keys would become one.
 */
const LONE_SURROGATE = /\p{Cs}/u;

interface JsonProblem {
  readonly field: string;
  readonly rule: string;
  readonly message: string;
}

/**
 * Throws a 400 for the first part of a parsed body that could not be stored as sent: nesting deeper than
 * `maxDepth` (naming the outermost field), a number DynamoDB or the SDK cannot hold, or a `__proto__`
 * key (which JavaScript objects cannot carry as data). Iterative, so no input can exhaust the stack.
 */
export function assertStorableJson(value: unknown, maxDepth: number): void {
  const problem = findProblem(value, maxDepth);
  if (problem) throw new ValidationError(problem.message, [problem]);
}

function findProblem(value: unknown, maxDepth: number): JsonProblem | undefined {
  const pending: { node: unknown; depth: number; path: string; top: string }[] = [
    { node: value, depth: 0, path: '', top: '' },
  ];
  for (let entry = pending.pop(); entry !== undefined; entry = pending.pop()) {
    const { node, depth, path, top } = entry;
    const field = path || 'body';
    if (typeof node === 'string' && LONE_SURROGATE.test(node)) return loneSurrogate(field);
    if (typeof node === 'number' && !isStorableNumber(node)) {
      return {
        field,
        rule: 'number-range',
        message: `${field}: numbers must be integers within ±${Number.MAX_SAFE_INTEGER} or decimals between ${MIN_DECIMAL} and ${MAX_DECIMAL} in magnitude`,
      };
    }
    if (typeof node !== 'object' || node === null) continue;
    if (depth + 1 > maxDepth) {
      const name = top || 'body';
      return {
        field: name,
        rule: 'max-depth',
        message: `${name} nests deeper than ${maxDepth} levels of objects and arrays`,
      };
    }
    if (Array.isArray(node)) {
      node.forEach((child, i) => {
        pending.push({ node: child, depth: depth + 1, path: `${path}[${i}]`, top: top || String(i) });
      });
      continue;
    }
    for (const [key, child] of Object.entries(node)) {
      const childPath = path ? `${path}.${key}` : key;
      if (LONE_SURROGATE.test(key)) return loneSurrogate(path || 'body');
      if (key === '__proto__') {
        return {
          field: childPath,
          rule: 'reserved-key',
          message: `${childPath}: the key __proto__ is not allowed`,
        };
      }
      pending.push({ node: child, depth: depth + 1, path: childPath, top: top || key });
    }
  }
  return undefined;
}

function loneSurrogate(field: string): JsonProblem {
  return {
    field,
    rule: 'unicode',
    message: `${field}: has a lone UTF-16 surrogate (\\ud800-\\udfff not in a pair), which is not valid Unicode`,
  };
}

function isStorableNumber(value: number): boolean {
  if (Number.isInteger(value)) return Number.isSafeInteger(value);
  const magnitude = Math.abs(value);
  return magnitude >= MIN_DECIMAL && magnitude < MAX_DECIMAL;
}
