// DynamoDB's Time to Live on the local stack, which dynalite does not have: every 10 minutes the items
// whose TTL attribute (TABLE.timeToLiveAttribute, epoch seconds) has passed are deleted, each only if it
// still has (a write may have pushed it on meanwhile). AWS deletes them within a few days of their expiry;
// every TTL in the code is set past the item's use (a stopped worker's day, a resolved alert's 30 days, a
// metric bucket's retention), so the deletion only keeps the table, and the reads that list such items
// (the sweeper's every 5 s over a type's workers), from growing with the stack's age.
import {
  DeleteCommand,
  type DocumentClient,
  isConditionFailure,
  ScanCommand,
} from '../functions/shared/clients/table-commands';
import { TABLE } from '../functions/shared/resources';

/** How often the local stack reaps expired items. */
export const TTL_REAP_PERIOD_MS = 10 * 60_000;

/** Deletes the items of `tableName` expired at `nowSeconds`; how many it deleted. */
export async function reapExpiredItems(
  client: DocumentClient,
  tableName: string,
  nowSeconds: number,
): Promise<number> {
  const expired = {
    ExpressionAttributeNames: { '#ttl': TABLE.timeToLiveAttribute },
    ExpressionAttributeValues: { ':now': nowSeconds },
  };
  let deleted = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: '#ttl < :now',
        ProjectionExpression: `${TABLE.partitionKey}, ${TABLE.sortKey}`,
        ExclusiveStartKey: startKey,
        ...expired,
      }),
    );
    for (const item of page.Items ?? []) {
      try {
        await client.send(
          new DeleteCommand({
            TableName: tableName,
            Key: { [TABLE.partitionKey]: item[TABLE.partitionKey], [TABLE.sortKey]: item[TABLE.sortKey] },
            ConditionExpression: '#ttl < :now',
            ...expired,
          }),
        );
        deleted++;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return deleted;
}

/** Reaps every `periodMs` (one run at a time) until stopped; a stop waits for the run under way. */
export function startTtlReaper(
  reap: () => Promise<number>,
  onError: (error: unknown) => void,
  periodMs = TTL_REAP_PERIOD_MS,
): { stop(): Promise<void> } {
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = reap()
      .catch(onError)
      .finally(() => {
        running = undefined;
      });
  }, periodMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
