// Counts the read capacity the local DynamoDB's reads would consume on AWS (dynalite reports none unless
// asked), from each request's consistency and the items its response holds, by DynamoDB's rules: a
// GetItem rounds its item up to 4 KB (a missing item still costs the minimum), a Query rounds the sum of
// the items it read, a BatchGetItem each item; 1 unit per 4 KB strongly consistent, 0.5 eventually
// consistent (every index read). A projected read is counted by what it returned (AWS counts the whole
// items read: an undercount there). Requests and responses pass unchanged.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import { type Item, itemSize } from './index-write-estimate';

/** Read units consumed so far, by operation (`GetItem`, `Query`, `BatchGetItem`). */
export type MeteredReadUnits = Record<string, number>;

const READ_OPERATIONS = new Set(['GetItem', 'Query', 'BatchGetItem']);
const UNIT_BYTES = 4096;

/** Units of one read of `bytes`: whole 4 KB blocks (at least one), halved when eventually consistent. */
export const readUnits = (bytes: number, consistent: boolean) =>
  Math.max(1, Math.ceil(bytes / UNIT_BYTES)) * (consistent ? 1 : 0.5);

/** The read units of one request's response, by the rules above. */
export function unitsOf(
  operation: string,
  request: Record<string, unknown>,
  response: Record<string, unknown>,
) {
  const consistent = request.ConsistentRead === true && request.IndexName === undefined;
  if (operation === 'GetItem')
    return readUnits(response.Item ? itemSize(response.Item as Item) : 0, consistent);
  if (operation === 'Query') {
    const items = (response.Items ?? []) as Item[];
    return readUnits(
      items.reduce((sum, item) => sum + itemSize(item), 0),
      consistent,
    );
  }
  const tables = (request.RequestItems ?? {}) as Record<string, { ConsistentRead?: boolean }>;
  return Object.entries((response.Responses ?? {}) as Record<string, Item[]>).reduce(
    (sum, [table, items]) =>
      sum +
      items.reduce(
        (total, item) => total + readUnits(itemSize(item), tables[table]?.ConsistentRead === true),
        0,
      ),
    0,
  );
}

export function meterReadUnits(server: Server): MeteredReadUnits {
  const units: MeteredReadUnits = {};
  const handlers = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners('request');
  const inner = (req: IncomingMessage, res: ServerResponse) => {
    for (const handler of handlers) handler(req, res);
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    if (!READ_OPERATIONS.has(operation)) return inner(req, res);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const end = res.end.bind(res) as (chunk?: unknown) => ServerResponse;
      res.end = ((chunk?: unknown) => {
        const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : '';
        if (res.statusCode === 200 && text.startsWith('{')) {
          try {
            const request = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
            units[operation] = (units[operation] ?? 0) + unitsOf(operation, request, JSON.parse(text));
          } catch {
            // Not JSON: dynalite answered it an error already; nothing to count.
          }
        }
        return end(chunk);
      }) as typeof res.end;
      inner(replay(req, body), res);
    });
  });
  return units;
}

/** The request again, as a stream the inner handlers can read. */
function replay(req: IncomingMessage, body: Buffer): IncomingMessage {
  const copy = new PassThrough() as unknown as IncomingMessage & PassThrough;
  Object.assign(copy, {
    headers: req.headers,
    method: req.method,
    url: req.url,
    httpVersion: req.httpVersion,
  });
  copy.end(body);
  return copy;
}
