// What a write costs in the table's global secondary indexes on AWS, estimated from the item before and
// after it (dynalite reports the table's capacity only). AWS's rules, per index:
//  - the item enters the index (it gains both index keys): a put of the index entry;
//  - it leaves (loses a key, or is deleted): a delete of the entry it had;
//  - a key of the index (or of the table) changes: a delete and a put;
//  - it stays with the same keys and a projected attribute changes: an update of the entry;
//  - nothing the index projects changes: no index write.
// Each index write costs 1 WCU per KB of the entry, rounded up (an update: of the larger of before and
// after). The entry holds the table's and the index's keys plus what the index projects (ALL: the item).
// Sizes follow DynamoDB's item size rules (names and values in UTF-8 bytes, numbers by their digits).
import type { IndexShape } from '../functions/shared/resources';

/** An attribute value in DynamoDB's JSON (the wire format the local endpoint sees). */
export interface AttributeValue {
  readonly S?: string;
  readonly N?: string;
  readonly B?: string;
  readonly BOOL?: boolean;
  readonly NULL?: boolean;
  readonly L?: readonly AttributeValue[];
  readonly M?: Readonly<Record<string, AttributeValue>>;
  readonly SS?: readonly string[];
  readonly NS?: readonly string[];
  readonly BS?: readonly string[];
}
export type Item = Readonly<Record<string, AttributeValue>>;

export interface IndexWrite {
  readonly index: string;
  readonly change: 'put' | 'update' | 'delete';
  readonly wcu: number;
}

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');
const numberSize = (n: string) => {
  const digits = n.replace(/^-/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
};

/** The stored size of one value, as DynamoDB counts it. */
export function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return Buffer.from(value.B, 'base64').length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.L) return 3 + value.L.reduce((sum, element) => sum + 1 + valueSize(element), 0);
  if (value.M) {
    return 3 + Object.entries(value.M).reduce((sum, [name, v]) => sum + 1 + utf8(name) + valueSize(v), 0);
  }
  if (value.SS) return value.SS.reduce((sum, s) => sum + utf8(s), 0);
  if (value.NS) return value.NS.reduce((sum, n) => sum + numberSize(n), 0);
  if (value.BS) return value.BS.reduce((sum, b) => sum + Buffer.from(b, 'base64').length, 0);
  return 0;
}

/** An item's size: its attribute names and values. */
export const itemSize = (item: Item) =>
  Object.entries(item).reduce((sum, [name, value]) => sum + utf8(name) + valueSize(value), 0);

/** Write units of `bytes`: 1 per KB, rounded up, at least 1. */
export const writeUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));

/** The same value whatever the order its maps were written in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

interface Entry {
  readonly key: string;
  readonly projected: string;
  readonly size: number;
}

/** The entry an item has in an index, or undefined when it lacks one of the index's keys. */
function entryOf(index: IndexShape, tableKeys: readonly string[], item: Item | undefined): Entry | undefined {
  if (!item) return undefined;
  const pk = item[index.partitionKey]?.S;
  const sk = item[index.sortKey]?.S;
  if (pk === undefined || sk === undefined) return undefined;
  const keys = [...tableKeys, index.partitionKey, index.sortKey];
  const projected: Record<string, AttributeValue> =
    index.projection === 'ALL'
      ? { ...item }
      : Object.fromEntries(
          Object.entries(item).filter(
            ([name]) =>
              keys.includes(name) ||
              (index.projection === 'INCLUDE' && (index.nonKeyAttributes ?? []).includes(name)),
          ),
        );
  return {
    key: canonical(keys.map((name) => item[name] ?? null)),
    projected: canonical(projected),
    size: itemSize(projected),
  };
}

/** The index writes a write from `before` to `after` (undefined: no item) costs, per AWS's rules above. */
export function estimateIndexWrites(
  indexes: readonly IndexShape[],
  tableKeys: readonly string[],
  before: Item | undefined,
  after: Item | undefined,
): IndexWrite[] {
  return indexes.flatMap((index): IndexWrite[] => {
    const was = entryOf(index, tableKeys, before);
    const is = entryOf(index, tableKeys, after);
    const put = (entry: Entry): IndexWrite => ({
      index: index.indexName,
      change: 'put',
      wcu: writeUnits(entry.size),
    });
    const remove = (entry: Entry): IndexWrite => ({
      index: index.indexName,
      change: 'delete',
      wcu: writeUnits(entry.size),
    });
    if (!was && !is) return [];
    if (!was && is) return [put(is)];
    if (was && !is) return [remove(was)];
    if (!was || !is) return [];
    if (was.key !== is.key) return [remove(was), put(is)];
    if (was.projected === is.projected) return [];
    return [{ index: index.indexName, change: 'update', wcu: writeUnits(Math.max(was.size, is.size)) }];
  });
}

/** The identity of an item in the table (what the meter keeps its last image under). */
export const itemKey = (tableKeys: readonly string[], item: Item) =>
  canonical(tableKeys.map((name) => item[name] ?? null));
