// Counts the writes the local DynamoDB serves, each with its operation, the kind of item it wrote (from
// the key's prefixes: TASK, STEP, IDEMPOTENCY, AGG...) and the write capacity it consumed, for the bench
// and the write-budget test. Transparent to product code: it sets ReturnConsumedCapacity TOTAL on every
// write request it sees and, when the caller had not asked for it, takes ConsumedCapacity back out of the
// response (recomputing the CRC32 the SDK checks). dynalite counts the table's capacity only: on AWS each
// GSI an item is written to costs its own WCU on top, which the meter estimates (index-write-estimate.ts)
// from the item before the write (the last image it saw written: it keeps one per item) and after it (the
// put's item, or the update's new image, asked for as ALL_NEW and taken back out like the capacity). An
// item written before the meter started (a restarted data folder) counts as new.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import { crc32 } from 'node:zlib';
import { TABLE } from '../functions/shared/resources';
import { estimateIndexWrites, type IndexWrite, type Item, itemKey } from './index-write-estimate';

export interface MeteredWrite {
  readonly operation: string;
  /** TASK, STEP, IDEMPOTENCY, ORG, ...: the sort key's prefix under a TASK# partition, else the partition key's. */
  readonly kind: string;
  /** Consumed write capacity (table only). A write refused by its condition is counted 1, as AWS bills it. */
  readonly wcu: number;
  readonly conditionFailed?: boolean;
  /** The index writes it costs on AWS, estimated (dynalite meters none). */
  readonly indexWrites: readonly IndexWrite[];
  /** Their WCU, summed. */
  readonly indexWcu: number;
}

const TABLE_KEYS = [TABLE.partitionKey, TABLE.sortKey];

const WRITE_OPERATIONS = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);

type AttributeMap = Record<string, { S?: string } | undefined>;

export function kindOf(key: AttributeMap | undefined): string {
  const pk = key?.pk?.S ?? '';
  const sk = key?.sk?.S ?? '';
  const prefix = (value: string) => value.split('#')[0] || 'UNKNOWN';
  return pk.startsWith('TASK#') ? prefix(sk) : prefix(pk);
}

/** One item a write request touches: its table, key, and the item it puts (PutItem, a batch's put). */
interface Touched {
  readonly table: string;
  readonly key: Item;
  readonly put?: Item;
}

function touchedBy(operation: string, request: Record<string, unknown>): Touched[] {
  const table = String(request.TableName ?? '');
  if (operation === 'PutItem') return [{ table, key: request.Item as Item, put: request.Item as Item }];
  if (operation !== 'BatchWriteItem') return [{ table, key: request.Key as Item }];
  type Entry = { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } };
  return Object.entries((request.RequestItems ?? {}) as Record<string, Entry[]>).flatMap(([name, entries]) =>
    entries.map((entry) => ({
      table: name,
      key: entry.PutRequest?.Item ?? entry.DeleteRequest?.Key ?? {},
      ...(entry.PutRequest && { put: entry.PutRequest.Item }),
    })),
  );
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
  /** The last image written of each item, by table and key. */
  const images = new Map<string, Item>();
  const imageKey = (touched: Touched) => `${touched.table}|${itemKey(TABLE_KEYS, touched.key)}`;
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
    // An update's new image: asked for unless the caller asked for another (then it is not estimated).
    const returns = request.ReturnValues ?? 'NONE';
    const wantImage = operation === 'UpdateItem' && returns === 'NONE';
    const body = Buffer.from(
      JSON.stringify({
        ...request,
        ReturnConsumedCapacity: 'TOTAL',
        ...(wantImage && { ReturnValues: 'ALL_NEW' }),
      }),
    );
    const end = res.end.bind(res) as (chunk?: unknown) => ServerResponse;
    res.end = ((chunk?: unknown) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : '';
      record(operation, request, res.statusCode, text);
      const keepCapacity = asked === 'TOTAL' || asked === 'INDEXES';
      if ((keepCapacity && !wantImage) || !text.startsWith('{')) return end(chunk);
      const response = JSON.parse(text) as Record<string, unknown>;
      if (!keepCapacity) delete response.ConsumedCapacity;
      if (wantImage) delete response.Attributes;
      const out = JSON.stringify(response);
      res.setHeader('x-amz-crc32', crc32(out));
      res.setHeader('Content-Length', Buffer.byteLength(out));
      return end(out);
    }) as typeof res.end;
    dynalite(replay(req, body), res);
  }

  function record(operation: string, request: Record<string, unknown>, status: number, text: string) {
    const touched = touchedBy(operation, request);
    if (status !== 200) {
      if (text.includes('ConditionalCheckFailedException')) {
        const key = touched[0]?.key as AttributeMap | undefined;
        writes.push({
          operation,
          kind: kindOf(key),
          wcu: 1,
          conditionFailed: true,
          indexWrites: [],
          indexWcu: 0,
        });
      }
      return;
    }
    const response = JSON.parse(text) as {
      ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[];
      Attributes?: Item;
    };
    const units = [response.ConsumedCapacity ?? []].flat().map((c) => c.CapacityUnits ?? 0);
    touched.forEach((item, i) => {
      const at = imageKey(item);
      const before = images.get(at);
      const after =
        operation === 'DeleteItem' || (operation === 'BatchWriteItem' && !item.put)
          ? undefined
          : operation === 'UpdateItem'
            ? request.ReturnValues === undefined ||
              request.ReturnValues === 'NONE' ||
              request.ReturnValues === 'ALL_NEW'
              ? response.Attributes
              : null
            : item.put;
      // An update that returned another image cannot be estimated; its item is forgotten.
      const indexWrites =
        after === null ? [] : estimateIndexWrites(TABLE.globalSecondaryIndexes, TABLE_KEYS, before, after);
      if (after) images.set(at, after);
      else images.delete(at);
      writes.push({
        operation,
        kind: kindOf(item.key as AttributeMap),
        wcu: units.length === touched.length ? (units[i] ?? 0) : (units[0] ?? 0) / touched.length,
        indexWrites,
        indexWcu: indexWrites.reduce((sum, write) => sum + write.wcu, 0),
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
