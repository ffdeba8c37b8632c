// Alerts in the single table. Items (single-item conditional writes: the local DynamoDB has no transactions):
//   ALERT#<id> / ALERT              the alert record, its last notification time and a revision that every
//                                   write checks and bumps (optimistic locking: two sweeps raising the same
//                                   key at once cannot both count or both publish)
//     gsi1  ALERTS#ORG#<org> / <firstSeenAt>#<id>   an org's alerts, newest first (none without an org)
//     gsi2  ALERTS / <firstSeenAt>#<id>              every alert, newest first (operators)
//   ALERTKEY#<dedupKey> / ALERTKEY  the dedup pointer: the key's latest alert id
//     gsi1  ALERTS#OPEN#<kind> / <dedupKey>          while that alert is OPEN: the rules' "what is open"
// RESOLVED alerts and their pointers expire 30 days after resolvedAt (TTL).
// Pointer and alert are separate writes. A new alert is first written unlisted (no index keys) and set to
// expire, then its key is pointed at it, then it is written whole: a pointer never points at an alert not
// yet written (a concurrent raise reading the key in between would take the alert for gone and open a
// second one), and a creator that loses the key, or stops, leaves nothing listed and nothing kept. So that
// a pointer marked OPEN covers every listed OPEN alert, a reopening marks it before the alert moves, a
// resolution unmarks it after. A failure between two writes leaves at worst a marked pointer to an alert
// that is not OPEN (or unlisted until the key's next raise, which writes it whole), which open() skips and
// the key's next write corrects.
// Filters a key cannot express (state, severity, kind) are FilterExpressions on those index Queries: the
// dedup keeps alerts to one per problem, so pages stay cheap; from/to bound the sort key (firstSeenAt).
import {
  DeleteCommand,
  type DocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '../clients/table-commands';
import type { Severity } from '../resources';
import { batchGetItems, conditionalWrite, fromItem, putIfAbsent } from '../table-items';
import type { AlertKind, AlertRecord, AlertState } from './alert';

/** RESOLVED alerts are kept this long, then DynamoDB's TTL removes them. */
export const RESOLVED_RETENTION_SECONDS = 30 * 24 * 3600;
/** A new alert's unlisted first write expires after this, unless the creator writes it whole first. */
const UNLISTED_RETENTION_SECONDS = 24 * 3600;

/** The alert as stored: the record plus what the service needs to decide the next notification. */
export interface StoredAlert extends AlertRecord {
  /**
   * When a message about it was last published (the cooldown of reminders counts from here); absent when
   * its first message could not be published, so the next raise publishes it as OPENED.
   */
  readonly notifiedAt?: string;
  /** Bumped by every write; a write expecting another revision lost a race. */
  readonly revision: number;
}

export interface AlertListQuery {
  /** One org's alerts; undefined: every org's (operators), org-less alerts included. */
  readonly org?: string;
  readonly state?: AlertState;
  readonly severity?: Severity;
  readonly kind?: AlertKind;
  /** Bounds on firstSeenAt, UTC ISO strings, inclusive. */
  readonly from?: string;
  readonly to?: string;
  readonly limit: number;
  /** The store's cursor from the previous page. */
  readonly cursor?: string;
}

export interface AlertPage {
  readonly items: StoredAlert[];
  /** The store's own cursor (sign it before it leaves the API); absent on the last page. */
  readonly cursor?: string;
}

export interface KeyLookup {
  readonly alertId?: string;
  readonly alert?: StoredAlert;
}

export interface AlertStore {
  /** The alert (consistent read), whatever its org: callers check who may see it. */
  get(id: string): Promise<StoredAlert | undefined>;
  /**
   * The latest alert of a dedup key (consistent reads of the pointer and the alert). `alertId` is where the
   * pointer points even when that alert is missing (a create that failed halfway), so a new one replaces it.
   */
  lookup(dedupKey: string): Promise<KeyLookup>;
  /**
   * Writes a new alert (revision 1) and points its key at it, if the key still points where the caller
   * saw it (`previousId`; undefined: no pointer). False when another writer moved the key first.
   */
  create(alert: StoredAlert, previousId: string | undefined): Promise<boolean>;
  /**
   * Replaces the alert stored at `alert.revision - 1` with `alert`; false when it moved on meanwhile.
   * A change of state moves the key's OPEN mark with it.
   */
  replace(alert: StoredAlert, previous: StoredAlert): Promise<boolean>;
  /** The OPEN alerts of a kind, by the pointers' OPEN index. */
  listOpen(kind: AlertKind): Promise<StoredAlert[]>;
  list(query: AlertListQuery): Promise<AlertPage>;
}

const alertKey = (id: string) => ({ pk: `ALERT#${id}`, sk: 'ALERT' });
const pointerKey = (dedupKey: string) => ({ pk: `ALERTKEY#${dedupKey}`, sk: 'ALERTKEY' });
const orgPartition = (org: string) => `ALERTS#ORG#${org}`;
const ALL_PARTITION = 'ALERTS';
const openPartition = (kind: AlertKind) => `ALERTS#OPEN#${kind}`;
const orderKey = (alert: AlertRecord) => `${alert.firstSeenAt}#${alert.id}`;

/** A filtered listing reads at most this many index entries per Query, and this many Queries per page. */
const READ_PAGE = 100;
const MAX_READS_PER_PAGE = 5;

const expiresAt = (alert: AlertRecord): number | undefined =>
  alert.state === 'RESOLVED' && alert.resolvedAt
    ? Math.floor(Date.parse(alert.resolvedAt) / 1000) + RESOLVED_RETENTION_SECONDS
    : undefined;

function toItem(alert: StoredAlert): Record<string, unknown> {
  const expires = expiresAt(alert);
  // Optional fields a signal spells out as undefined are left out, whatever the client's marshalling.
  const defined = Object.fromEntries(Object.entries(alert).filter(([, value]) => value !== undefined));
  return {
    ...alertKey(alert.id),
    type: 'Alert',
    ...defined,
    ...(alert.org !== undefined && { gsi1pk: orgPartition(alert.org), gsi1sk: orderKey(alert) }),
    gsi2pk: ALL_PARTITION,
    gsi2sk: orderKey(alert),
    ...(expires !== undefined && { expiresAt: expires }),
  };
}

export class DynamoAlertStore implements AlertStore {
  constructor(
    private readonly client: DocumentClient,
    private readonly tableName: string,
  ) {}

  async get(id: string): Promise<StoredAlert | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: alertKey(id), ConsistentRead: true }),
    );
    return Item ? fromItem<StoredAlert>(Item) : undefined;
  }

  async lookup(dedupKey: string): Promise<KeyLookup> {
    const alertId = await this.pointer(dedupKey);
    if (alertId === undefined) return {};
    const alert = await this.get(alertId);
    return alert ? { alertId, alert } : { alertId };
  }

  async create(alert: StoredAlert, previousId: string | undefined): Promise<boolean> {
    const { gsi1pk: _org, gsi1sk: _orgOrder, gsi2pk: _all, gsi2sk: _allOrder, ...unlisted } = toItem(alert);
    const expires = Math.floor(Date.parse(alert.firstSeenAt) / 1000) + UNLISTED_RETENTION_SECONDS;
    if (!(await putIfAbsent(this.client, this.tableName, { ...unlisted, expiresAt: expires }))) return false;
    const pointed = await conditionalWrite(
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...pointerKey(alert.dedupKey),
            type: 'AlertKey',
            dedupKey: alert.dedupKey,
            kind: alert.kind,
            alertId: alert.id,
            gsi1pk: openPartition(alert.kind),
            gsi1sk: alert.dedupKey,
          },
          ConditionExpression: previousId === undefined ? 'attribute_not_exists(pk)' : 'alertId = :previous',
          ...(previousId !== undefined && { ExpressionAttributeValues: { ':previous': previousId } }),
        }),
      ),
    );
    if (!pointed) {
      await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: alertKey(alert.id) }));
      return false;
    }
    // Listed now, unless a raise that found it through the pointer has already written it whole.
    await conditionalWrite(
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: toItem(alert),
          ConditionExpression: 'revision = :revision',
          ExpressionAttributeValues: { ':revision': alert.revision },
        }),
      ),
    );
    return true;
  }

  async replace(alert: StoredAlert, previous: StoredAlert): Promise<boolean> {
    const reopening = previous.state === 'RESOLVED' && alert.state === 'OPEN';
    const resolving = previous.state === 'OPEN' && alert.state === 'RESOLVED';
    if (reopening) await this.markPointer(alert, true);
    const written = await conditionalWrite(
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: toItem(alert),
          ConditionExpression: 'revision = :revision',
          ExpressionAttributeValues: { ':revision': previous.revision },
        }),
      ),
    );
    if (written && resolving) await this.markPointer(alert, false);
    return written !== undefined;
  }

  async listOpen(kind: AlertKind): Promise<StoredAlert[]> {
    const ids: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const { Items = [], LastEvaluatedKey } = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk',
          ExpressionAttributeValues: { ':pk': openPartition(kind) },
          ProjectionExpression: 'alertId',
          ExclusiveStartKey: startKey,
        }),
      );
      ids.push(...Items.map((item) => String(item.alertId)));
      startKey = LastEvaluatedKey;
    } while (startKey);
    const items = await batchGetItems(this.client, this.tableName, ids.map(alertKey));
    return items
      .map((item) => fromItem<StoredAlert>(item))
      .filter((alert) => alert.state === 'OPEN' && alert.kind === kind)
      .sort((a, b) => (orderKey(a) < orderKey(b) ? 1 : -1));
  }

  async list(query: AlertListQuery): Promise<AlertPage> {
    const [index, pk, sk] =
      query.org === undefined
        ? (['gsi2', ALL_PARTITION, 'gsi2sk'] as const)
        : (['gsi1', orgPartition(query.org), 'gsi1sk'] as const);
    const values: Record<string, unknown> = { ':pk': pk };
    const names: Record<string, string> = { '#pk': `${index}pk` };
    // Newest first: the upper bound is the cursor (exclusive) or `to`, the lower bound `from`.
    const upper = query.cursor ?? (query.to && `${query.to}#\uffff`);
    let keyCondition = '#pk = :pk';
    if (query.from !== undefined || upper !== undefined) names['#sk'] = sk;
    if (query.from !== undefined && upper !== undefined) {
      keyCondition += ' AND #sk BETWEEN :from AND :upper';
      Object.assign(values, { ':from': query.from, ':upper': upper });
    } else if (query.from !== undefined) {
      keyCondition += ' AND #sk >= :from';
      values[':from'] = query.from;
    } else if (upper !== undefined) {
      keyCondition += query.cursor === undefined ? ' AND #sk <= :upper' : ' AND #sk < :upper';
      values[':upper'] = upper;
    }
    const filters: string[] = [];
    for (const field of ['state', 'severity', 'kind'] as const) {
      const value = query[field];
      if (value === undefined) continue;
      filters.push(`#${field} = :${field}`);
      names[`#${field}`] = field;
      values[`:${field}`] = value;
    }
    const items: StoredAlert[] = [];
    let startKey: Record<string, unknown> | undefined;
    let lastRead: string | undefined;
    for (let read = 0; read < MAX_READS_PER_PAGE; read++) {
      const { Items = [], LastEvaluatedKey } = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: index,
          KeyConditionExpression: keyCondition,
          ...(filters.length > 0 && { FilterExpression: filters.join(' AND ') }),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          Limit: filters.length > 0 ? READ_PAGE : query.limit + 1,
          ExclusiveStartKey: startKey,
        }),
      );
      // BETWEEN includes its bounds: the cursor's own entry was on the previous page.
      items.push(
        ...Items.filter((item) => item[sk] !== query.cursor).map((item) => fromItem<StoredAlert>(item)),
      );
      startKey = LastEvaluatedKey;
      lastRead = startKey ? String(startKey[sk]) : undefined;
      if (!startKey || items.length > query.limit) break;
    }
    if (items.length > query.limit) {
      const page = items.slice(0, query.limit);
      return { items: page, cursor: orderKey(page[page.length - 1] as StoredAlert) };
    }
    // Fewer than a page matched within the read budget: the next page goes on from where reading stopped.
    return { items, ...(lastRead !== undefined && { cursor: lastRead }) };
  }

  private async pointer(dedupKey: string): Promise<string | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: pointerKey(dedupKey),
        ConsistentRead: true,
        ProjectionExpression: 'alertId',
      }),
    );
    return Item ? String(Item.alertId) : undefined;
  }

  /** Marks (or unmarks) the key's pointer OPEN, when it still points at this alert. */
  private async markPointer(alert: StoredAlert, open: boolean): Promise<void> {
    const expires = expiresAt(alert);
    await conditionalWrite(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: pointerKey(alert.dedupKey),
          UpdateExpression: open
            ? 'SET gsi1pk = :pk, gsi1sk = :key REMOVE expiresAt'
            : 'SET expiresAt = :expires REMOVE gsi1pk, gsi1sk',
          ConditionExpression: 'alertId = :id',
          ExpressionAttributeValues: {
            ':id': alert.id,
            ...(open
              ? { ':pk': openPartition(alert.kind), ':key': alert.dedupKey }
              : { ':expires': expires ?? 0 }),
          },
        }),
      ),
    );
  }
}
