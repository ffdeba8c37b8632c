// Counts the writes the local DynamoDB serves, each with its operation, the kind of item it wrote (from
// the key's prefixes: TASK, STEP, IDEMPOTENCY, AGG...) and the write capacity it consumed, for the bench
// and the write-budget test. It wraps dynalite's dispatch (every request, over HTTP or in process, parsed
// once) and is transparent to product code: it asks ReturnConsumedCapacity TOTAL on every write it sees
// and, when the caller had not asked for it, takes ConsumedCapacity back out of the response. dynalite
// counts the table's capacity only: on AWS each GSI an item is written to costs its own WCU on top, which
// the meter estimates (index-write-estimate.ts) from the item before the write (the last image it saw
// written: it keeps one per item) and after it (the put's item, or the update's new image, asked for as
// ALL_NEW and taken back out like the capacity). An item written before the meter started (a restarted
// data folder) counts as new. Per request it only keeps what it needs; the kinds and the estimates are
// worked out when the writes are read, so a benchmark's CPU figures do not carry them.
import type { DynaliteDispatch } from 'dynalite';
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

/** A write as it was served, kept until the writes are read. */
interface ServedWrite {
  readonly operation: string;
  readonly request: Record<string, unknown>;
  readonly status: number;
  readonly conditionFailed: boolean;
  /** ConsumedCapacity's units, in order. */
  readonly units: readonly number[];
  /** An update's new image (or what its ReturnValues asked for). */
  readonly attributes?: Item;
}

export interface WriteMeter {
  /** Serves requests through `inner`, metering the writes. */
  readonly dispatch: DynaliteDispatch;
  /** The writes served so far, oldest first. */
  writes(): readonly MeteredWrite[];
}

/** Puts the meter in front of dynalite's dispatch. */
export function meterWrites(inner: DynaliteDispatch): WriteMeter {
  const served: ServedWrite[] = [];
  const writes: MeteredWrite[] = [];
  /** The last image written of each item, by table and key. */
  const images = new Map<string, Item>();
  const imageKey = (touched: Touched) => `${touched.table}|${itemKey(TABLE_KEYS, touched.key)}`;

  const dispatch: DynaliteDispatch = (operation, request, done) => {
    if (!WRITE_OPERATIONS.has(operation)) return inner(operation, request, done);
    const asked = request.ReturnConsumedCapacity;
    const keepCapacity = asked === 'TOTAL' || asked === 'INDEXES';
    // An update's new image: asked for unless the caller asked for another (then it is not estimated).
    const wantImage = operation === 'UpdateItem' && (request.ReturnValues ?? 'NONE') === 'NONE';
    const sent = {
      ...request,
      ReturnConsumedCapacity: 'TOTAL',
      ...(wantImage && { ReturnValues: 'ALL_NEW' }),
    };
    inner(operation, sent, (status, response) => {
      const capacity = response.ConsumedCapacity as
        | { CapacityUnits?: number }
        | { CapacityUnits?: number }[]
        | undefined;
      served.push({
        operation,
        request,
        status,
        conditionFailed:
          status !== 200 && String(response.__type ?? '').includes('ConditionalCheckFailedException'),
        units: status === 200 ? [capacity ?? []].flat().map((c) => c.CapacityUnits ?? 0) : [],
        ...(status === 200 &&
          response.Attributes !== undefined && { attributes: response.Attributes as Item }),
      });
      if (status === 200) {
        if (!keepCapacity) delete response.ConsumedCapacity;
        if (wantImage) delete response.Attributes;
      }
      done(status, response);
    });
  };

  function record(write: ServedWrite) {
    const { operation, request } = write;
    const touched = touchedBy(operation, request);
    if (write.status !== 200) {
      if (write.conditionFailed) {
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
    const units = write.units;
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
              ? write.attributes
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

  return {
    dispatch,
    writes: () => {
      for (const write of served.splice(0)) record(write);
      return [...writes];
    },
  };
}

const READ_OPERATIONS = new Set(['GetItem', 'Query', 'BatchGetItem']);

/** Items the local DynamoDB has read, by operation: what the bench divides by the items an API returned. */
export type MeteredReads = Record<string, number>;

/**
 * Counts the items read requests read (a Query's ScannedCount, a GetItem's item, a BatchGetItem's
 * responses), from the responses as they leave dynalite; requests and responses pass unchanged.
 */
export function meterReads(inner: DynaliteDispatch): { dispatch: DynaliteDispatch; reads: MeteredReads } {
  const reads: MeteredReads = {};
  const dispatch: DynaliteDispatch = (operation, request, done) => {
    if (!READ_OPERATIONS.has(operation)) return inner(operation, request, done);
    inner(operation, request, (status, response) => {
      if (status === 200) reads[operation] = (reads[operation] ?? 0) + itemsRead(operation, response);
      done(status, response);
    });
  };
  return { dispatch, reads };
}

function itemsRead(operation: string, response: Record<string, unknown>): number {
  if (operation === 'GetItem') return response.Item ? 1 : 0;
  if (operation === 'Query') return Number(response.ScannedCount ?? 0);
  const responses = (response.Responses ?? {}) as Record<string, unknown[]>;
  return Object.values(responses).reduce((total, items) => total + items.length, 0);
}
