// DynamoDB on the local stack: dynalite, in memory and persisted under the data folder (dynamodb-store.ts). Tables come from
// the shared shapes. dynalite has no UpdateTimeToLive and no transactions: TTL is not set up here (items
// simply never expire locally) and no code path may rely on transactions.

import { join } from 'node:path';
import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  KeyType,
  ResourceInUseException,
  UpdateTableCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import type { AwsJsonTransport } from '../functions/shared/clients/in-process-transport';
import { ConfigurationError } from '../functions/shared/config';
import { type IndexShape, TABLE, TABLE_KEY_ATTRIBUTES } from '../functions/shared/resources';
import { dynamoDbInProcess } from './dynamodb-in-process';
import { type MeteredReadUnits, meterReadUnits } from './dynamodb-read-meter';
import { PersistedMemoryLevel } from './dynamodb-store';
import { type MeteredReads, type MeteredWrite, meterReads, meterWrites } from './dynamodb-write-meter';
import { closeServer, listen } from './listen';
import { ownerOnlyFolder } from './owner-only';
import type { LocalAwsSettings } from './settings';

/** The meters a local DynamoDB runs: each costs CPU per request and memory for as long as it runs. */
export interface DynamoDbMeters {
  /** Writes with their item kind and WCU, and the index WCU estimated (dynamodb-write-meter.ts). */
  readonly writes?: boolean;
  /** Items read and read units (RCU), by read operation (dynamodb-read-meter.ts). */
  readonly reads?: boolean;
}

export interface LocalDynamoDb {
  readonly url: string;
  readonly tableName: string;
  /** Serves the endpoint's requests in this process, without HTTP (dynamodb-in-process.ts). */
  readonly transport: AwsJsonTransport;
  /** Requests served so far, by operation (`PutItem`, `Query`, ...), for benchmarks. */
  requestCounts(): Record<string, number>;
  /** Writes served so far, oldest first, each with its item kind and consumed WCU; needs `meters.writes`. */
  writes(): readonly MeteredWrite[];
  /** Items read so far, by read operation, for benchmarks; needs `meters.reads`. */
  reads(): MeteredReads;
  /** Read units (RCU) consumed so far, by read operation; needs `meters.reads`. */
  readUnits(): MeteredReadUnits;
  close(): Promise<void>;
}

export async function startDynamoDb(
  settings: LocalAwsSettings,
  { dataDir, port, meters = {} }: { dataDir: string; port: number; meters?: DynamoDbMeters },
): Promise<LocalDynamoDb> {
  const path = join(dataDir, 'dynamodb');
  await ownerOnlyFolder(path);
  const db = await PersistedMemoryLevel.open(path);
  const server = dynalite({ db, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const url = await listen(server, port, settings.host);
  const client = new DynamoDBClient({
    endpoint: url,
    region: settings.region,
    credentials: settings.credentials,
  });
  try {
    await createTable(client, TABLE.localName);
  } finally {
    client.destroy();
  }
  // Every request, over HTTP or in process, goes through dynalite's dispatch: the meters wrap it.
  const writeMeter = meters.writes ? meterWrites(server.dispatch) : undefined;
  if (writeMeter) server.dispatch = writeMeter.dispatch;
  const readMeter = meters.reads ? meterReads(server.dispatch) : undefined;
  if (readMeter) server.dispatch = readMeter.dispatch;
  const readUnitMeter = meters.reads ? meterReadUnits(server.dispatch) : undefined;
  if (readUnitMeter) server.dispatch = readUnitMeter.dispatch;
  const counts: Record<string, number> = {};
  const counted = server.dispatch;
  server.dispatch = (operation, request, done) => {
    counts[operation] = (counts[operation] ?? 0) + 1;
    counted(operation, request, done);
  };
  const needs = (meter: string) => () => {
    throw new Error(`the local DynamoDB was started without its ${meter} meter (meterDynamoDb.${meter})`);
  };
  return {
    url,
    tableName: TABLE.localName,
    transport: dynamoDbInProcess(server),
    requestCounts: () => ({ ...counts }),
    writes: writeMeter ? writeMeter.writes : needs('writes'),
    reads: readMeter ? () => ({ ...readMeter.reads }) : needs('reads'),
    readUnits: readUnitMeter ? () => ({ ...readUnitMeter.units }) : needs('reads'),
    close: () => closeServer(server),
  };
}

/** Creates the stepwise table (TABLE) under `tableName`, or finds it; tests create spare ones with it. */
export async function createTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: TABLE_KEY_ATTRIBUTES.map(stringAttribute),
        KeySchema: [
          { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: TABLE.globalSecondaryIndexes.map(indexSpec),
      }),
    );
  } catch (error) {
    // A restart finds the table of the previous run in the data folder.
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: 10, minDelay: 1, maxDelay: 1 }, { TableName: tableName });
  await addMissingIndexes(client, tableName);
}

const stringAttribute = (name: string): AttributeDefinition => ({ AttributeName: name, AttributeType: 'S' });

const indexSpec = (index: IndexShape) => ({
  IndexName: index.indexName,
  KeySchema: [
    { AttributeName: index.partitionKey, KeyType: KeyType.HASH },
    { AttributeName: index.sortKey, KeyType: KeyType.RANGE },
  ],
  Projection: {
    ProjectionType: index.projection,
    ...(index.nonKeyAttributes && { NonKeyAttributes: [...index.nonKeyAttributes] }),
  },
});

/**
 * A data folder written before an index was declared gets it, as a deployed table does on AWS: one
 * UpdateTable per index, which writes the entries of the items already there (dynalite's patch), and a wait
 * until the index is ACTIVE, before the stack serves anything.
 */
export async function addMissingIndexes(client: DynamoDBClient, tableName: string): Promise<string[]> {
  const describe = async () =>
    (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table?.GlobalSecondaryIndexes ??
    [];
  const present = new Set((await describe()).map((index) => index.IndexName));
  const missing = TABLE.globalSecondaryIndexes.filter((index) => !present.has(index.indexName));
  for (const index of missing) {
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [index.partitionKey, index.sortKey].map(stringAttribute),
        GlobalSecondaryIndexUpdates: [{ Create: indexSpec(index) }],
      }),
    );
    const deadline = Date.now() + INDEX_BACKFILL_TIMEOUT_MS;
    while ((await describe()).find((i) => i.IndexName === index.indexName)?.IndexStatus !== 'ACTIVE') {
      if (Date.now() > deadline) {
        throw new ConfigurationError(
          `the index ${index.indexName} added to the table in the data folder is not ACTIVE after ${INDEX_BACKFILL_TIMEOUT_MS / 1000} s`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  return missing.map((index) => index.indexName);
}

/** How long the local DynamoDB may take to write a new index's entries (it went through 100,000 items in 2 s here). */
const INDEX_BACKFILL_TIMEOUT_MS = 10 * 60_000;
