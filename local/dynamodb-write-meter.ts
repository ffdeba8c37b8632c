// Counts the writes the local DynamoDB serves, each with its operation, the kind of item it wrote (from
// the key's prefixes: TASK, STEP, IDEMPOTENCY, AGG...) and the write capacity it consumed, for the bench
// and the write-budget test. Transparent to product code: it sets ReturnConsumedCapacity TOTAL on every
// write request it sees and, when the caller had not asked for it, takes ConsumedCapacity back out of the
// response (recomputing the CRC32 the SDK checks). dynalite counts the table's capacity only: on AWS each
// GSI an item is written to costs its own WCU on top.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import { crc32 } from 'node:zlib';

export interface MeteredWrite {
  readonly operation: string;
  /** TASK, STEP, IDEMPOTENCY, ORG, ...: the sort key's prefix under a TASK# partition, else the partition key's. */
  readonly kind: string;
  /** Consumed write capacity (table only). A write refused by its condition is counted 1, as AWS bills it. */
  readonly wcu: number;
  readonly conditionFailed?: boolean;
}

const WRITE_OPERATIONS = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);

type AttributeMap = Record<string, { S?: string } | undefined>;

export function kindOf(key: AttributeMap | undefined): string {
  const pk = key?.pk?.S ?? '';
  const sk = key?.sk?.S ?? '';
  const prefix = (value: string) => value.split('#')[0] || 'UNKNOWN';
  return pk.startsWith('TASK#') ? prefix(sk) : prefix(pk);
}

/** The keys a write request touches, one per item. */
function keysOf(operation: string, request: Record<string, unknown>): AttributeMap[] {
  if (operation === 'PutItem') return [request.Item as AttributeMap];
  if (operation !== 'BatchWriteItem') return [request.Key as AttributeMap];
  const batches = Object.values(
    (request.RequestItems ?? {}) as Record<
      string,
      Record<string, { Item?: AttributeMap; Key?: AttributeMap }>[]
    >,
  );
  return batches.flat().flatMap((entry) => [entry.PutRequest?.Item ?? entry.DeleteRequest?.Key ?? {}]);
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/** Puts the meter in front of dynalite's request handler; returns the writes seen so far (live array). */
export function meterWrites(server: Server): MeteredWrite[] {
  const writes: MeteredWrite[] = [];
  const handlers = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  const dynalite = (req: IncomingMessage, res: ServerResponse) => {
    for (const handler of handlers) handler(req, res);
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    if (!WRITE_OPERATIONS.has(operation)) return dynalite(req, res);
    void meter(operation, req, res).catch(() => {
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    });
  });

  async function meter(operation: string, req: IncomingMessage, res: ServerResponse) {
    const raw = await readBody(req);
    let request: Record<string, unknown>;
    try {
      request = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    } catch {
      return dynalite(replay(req, raw), res);
    }
    const asked = request.ReturnConsumedCapacity;
    const body = Buffer.from(JSON.stringify({ ...request, ReturnConsumedCapacity: 'TOTAL' }));
    const end = res.end.bind(res) as (chunk?: unknown) => ServerResponse;
    res.end = ((chunk?: unknown) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : '';
      record(operation, request, res.statusCode, text);
      if (asked === 'TOTAL' || asked === 'INDEXES' || !text.startsWith('{')) return end(chunk);
      const response = JSON.parse(text) as Record<string, unknown>;
      delete response.ConsumedCapacity;
      const out = JSON.stringify(response);
      res.setHeader('x-amz-crc32', crc32(out));
      res.setHeader('Content-Length', Buffer.byteLength(out));
      return end(out);
    }) as typeof res.end;
    dynalite(replay(req, body), res);
  }

  function record(operation: string, request: Record<string, unknown>, status: number, text: string) {
    const keys = keysOf(operation, request);
    if (status !== 200) {
      if (text.includes('ConditionalCheckFailedException')) {
        writes.push({ operation, kind: kindOf(keys[0]), wcu: 1, conditionFailed: true });
      }
      return;
    }
    const consumed = (
      JSON.parse(text) as { ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[] }
    ).ConsumedCapacity;
    const units = [consumed ?? []].flat().map((c) => c.CapacityUnits ?? 0);
    keys.forEach((key, i) => {
      writes.push({
        operation,
        kind: kindOf(key),
        wcu: units.length === keys.length ? (units[i] ?? 0) : (units[0] ?? 0) / keys.length,
      });
    });
  }

  return writes;
}

/** The request again, as a stream dynalite can read, with the (possibly rewritten) body. */
function replay(req: IncomingMessage, body: Buffer): IncomingMessage {
  const copy = new PassThrough() as unknown as IncomingMessage & PassThrough;
  Object.assign(copy, {
    headers: { ...req.headers, 'content-length': String(body.length) },
    method: req.method,
    url: req.url,
    httpVersion: req.httpVersion,
  });
  copy.end(body);
  return copy;
}

const READ_OPERATIONS = new Set(['GetItem', 'Query', 'BatchGetItem']);

/** Items the local DynamoDB has read, by operation: what the bench divides by the items an API returned. */
export type MeteredReads = Record<string, number>;

/**
 * Counts the items read requests read (a Query's ScannedCount, a GetItem's item, a BatchGetItem's
 * responses), from the responses as they leave dynalite; requests and responses pass unchanged.
 */
export function meterReads(server: Server): MeteredReads {
  const reads: MeteredReads = {};
  const handlers = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    if (READ_OPERATIONS.has(operation)) {
      const end = res.end.bind(res) as (chunk?: unknown) => ServerResponse;
      res.end = ((chunk?: unknown) => {
        const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : '';
        if (res.statusCode === 200 && text.startsWith('{')) {
          reads[operation] = (reads[operation] ?? 0) + itemsRead(operation, JSON.parse(text));
        }
        return end(chunk);
      }) as typeof res.end;
    }
    for (const handler of handlers) handler(req, res);
  });
  return reads;
}

function itemsRead(operation: string, response: Record<string, unknown>): number {
  if (operation === 'GetItem') return response.Item ? 1 : 0;
  if (operation === 'Query') return Number(response.ScannedCount ?? 0);
  const responses = (response.Responses ?? {}) as Record<string, unknown[]>;
  return Object.values(responses).reduce((total, items) => total + items.length, 0);
}
