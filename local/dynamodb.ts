// DynamoDB on the local stack: dynalite, in memory and persisted under the data folder (dynamodb-store.ts). Tables come from
// the shared shapes. dynalite has no UpdateTimeToLive and no transactions: TTL is not set up here (items
// simply never expire locally) and no code path may rely on transactions.

import { join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import type { AwsJsonTransport } from '../functions/shared/clients/in-process-transport';
import { ConfigurationError } from '../functions/shared/config';
import { TABLE, TABLE_KEY_ATTRIBUTES } from '../functions/shared/resources';
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
  const keyAttributes = TABLE_KEY_ATTRIBUTES;
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: keyAttributes.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
        KeySchema: [
          { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: TABLE.globalSecondaryIndexes.map((index) => ({
          IndexName: index.indexName,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: 'HASH' },
            { AttributeName: index.sortKey, KeyType: 'RANGE' },
          ],
          Projection: {
            ProjectionType: index.projection,
            ...(index.nonKeyAttributes && { NonKeyAttributes: [...index.nonKeyAttributes] }),
          },
        })),
      }),
    );
  } catch (error) {
    // A restart finds the table of the previous run in the data folder.
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: 10, minDelay: 1, maxDelay: 1 }, { TableName: tableName });
  await requireIndexes(client, tableName);
}

/**
 * dynalite cannot add an index to an existing table (UpdateTable creates none), so a data folder written
 * before an index was declared cannot serve the queries that need it: say so at startup, not as a 500 later.
 */
export async function requireIndexes(client: DynamoDBClient, tableName: string): Promise<void> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const present = new Set((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  const missing = TABLE.globalSecondaryIndexes.filter((index) => !present.has(index.indexName));
  if (missing.length === 0) return;
  throw new ConfigurationError(
    `the table in the data folder predates the indexes ${missing.map((i) => i.indexName).join(', ')}, which the local DynamoDB cannot add: start with a fresh data folder (move STEPWISE_DATA_DIR, default .stepwise, aside)`,
  );
}
