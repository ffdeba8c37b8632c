// Counts the read capacity the local DynamoDB's reads would consume on AWS (dynalite reports none unless
// asked), from each request's consistency and the items its response holds, by DynamoDB's rules: a
// GetItem rounds its item up to 4 KB (a missing item still costs the minimum), a Query rounds the sum of
// the items it read, a BatchGetItem each item; 1 unit per 4 KB strongly consistent, 0.5 eventually
// consistent (every index read). A projected read is counted by what it returned (AWS counts the whole
// items read: an undercount there). It wraps dynalite's dispatch (every request, over HTTP or in process);
// requests and responses pass unchanged.
import type { DynaliteDispatch } from 'dynalite';
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

export function meterReadUnits(inner: DynaliteDispatch): {
  dispatch: DynaliteDispatch;
  units: MeteredReadUnits;
} {
  const units: MeteredReadUnits = {};
  const dispatch: DynaliteDispatch = (operation, request, done) => {
    if (!READ_OPERATIONS.has(operation)) return inner(operation, request, done);
    inner(operation, request, (status, response) => {
      if (status === 200) units[operation] = (units[operation] ?? 0) + unitsOf(operation, request, response);
      done(status, response);
    });
  };
  return { dispatch, units };
}
