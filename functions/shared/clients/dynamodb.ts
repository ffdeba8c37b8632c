// The table's document client: lib-dynamodb's behaviour (plain JavaScript values in and out, marshalled
// with @aws-sdk/util-dynamodb) over the lean AWS JSON client (aws-json.ts), created once per container
// (see once.ts). The commands and the interface stores depend on are in table-commands.ts.

import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { AwsJsonClient, type AwsJsonClientOptions, type AwsJsonService } from './aws-json';
import { once } from './once';
import type { DocumentClient, TableCommand, TableOperation } from './table-commands';

export const DYNAMODB_SERVICE: AwsJsonService = {
  signingName: 'dynamodb',
  targetPrefix: 'DynamoDB_20120810',
  jsonVersion: '1.0',
  endpointEnvName: 'DYNAMODB',
  traceName: 'DynamoDB',
};

// Maps are told apart from class instances by their `constructor`: a JSON object with a "constructor" key
// (a step output, a tag) must still store as a map, not fail the write.
const MARSHALL_OPTIONS = { removeUndefinedValues: true, convertClassInstanceToMap: true } as const;

type Doc = Record<string, unknown>;
type Wire = Record<string, AttributeValue>;

const toWire = (value: unknown): Wire | undefined =>
  value === undefined ? undefined : marshall(value as Doc, MARSHALL_OPTIONS);
const fromWire = (value: unknown): Doc | undefined =>
  value === undefined ? undefined : unmarshall(value as Wire);
const mapEach = <T, U>(record: unknown, map: (value: T) => U): Record<string, U> | undefined =>
  record === undefined
    ? undefined
    : Object.fromEntries(
        Object.entries(record as Record<string, T>).map(([name, value]) => [name, map(value)]),
      );

/** Sets `fields` of `target` to their converted values, leaving absent ones absent. */
function convert(target: Doc, fields: readonly string[], change: (value: unknown) => unknown): Doc {
  const converted = { ...target };
  for (const field of fields) if (converted[field] !== undefined) converted[field] = change(converted[field]);
  return converted;
}

type WriteRequest = { PutRequest?: { Item: unknown }; DeleteRequest?: { Key: unknown } };
const writeRequests = (requests: unknown, change: (item: unknown) => unknown) =>
  (requests as WriteRequest[]).map(({ PutRequest, DeleteRequest, ...rest }) => ({
    ...rest,
    ...(PutRequest && { PutRequest: { ...PutRequest, Item: change(PutRequest.Item) } }),
    ...(DeleteRequest && { DeleteRequest: { ...DeleteRequest, Key: change(DeleteRequest.Key) } }),
  }));
const keysAndAttributes = (change: (item: unknown) => unknown) => (request: unknown) =>
  convert(request as Doc, ['Keys'], (keys) => (keys as unknown[]).map(change));

/** What lib-dynamodb marshals in each operation's input and unmarshals in its output. */
const CONVERSIONS: Record<TableOperation, { input: (input: Doc) => Doc; output: (output: Doc) => Doc }> = {
  GetItem: {
    input: (input) => convert(input, ['Key'], toWire),
    output: (output) => convert(output, ['Item'], fromWire),
  },
  PutItem: {
    input: (input) => convert(input, ['Item', 'ExpressionAttributeValues'], toWire),
    output: (output) => convert(output, ['Attributes'], fromWire),
  },
  UpdateItem: {
    input: (input) => convert(input, ['Key', 'ExpressionAttributeValues'], toWire),
    output: (output) => convert(output, ['Attributes'], fromWire),
  },
  DeleteItem: {
    input: (input) => convert(input, ['Key', 'ExpressionAttributeValues'], toWire),
    output: (output) => convert(output, ['Attributes'], fromWire),
  },
  Query: {
    input: (input) => convert(input, ['ExclusiveStartKey', 'ExpressionAttributeValues'], toWire),
    output: (output) =>
      convert(convert(output, ['LastEvaluatedKey'], fromWire), ['Items'], (items) =>
        (items as unknown[]).map(fromWire),
      ),
  },
  Scan: {
    input: (input) => convert(input, ['ExclusiveStartKey', 'ExpressionAttributeValues'], toWire),
    output: (output) =>
      convert(convert(output, ['LastEvaluatedKey'], fromWire), ['Items'], (items) =>
        (items as unknown[]).map(fromWire),
      ),
  },
  BatchGetItem: {
    input: (input) =>
      convert(input, ['RequestItems'], (tables) => mapEach(tables, keysAndAttributes(toWire))),
    output: (output) =>
      convert(
        convert(output, ['Responses'], (tables) =>
          mapEach(tables, (items: unknown[]) => items.map(fromWire)),
        ),
        ['UnprocessedKeys'],
        (tables) => mapEach(tables, keysAndAttributes(fromWire)),
      ),
  },
  BatchWriteItem: {
    input: (input) =>
      convert(input, ['RequestItems'], (tables) => mapEach(tables, (r) => writeRequests(r, toWire))),
    output: (output) =>
      convert(output, ['UnprocessedItems'], (tables) => mapEach(tables, (r) => writeRequests(r, fromWire))),
  },
  DescribeTable: { input: (input) => input, output: (output) => output },
};

/** The document client over one DynamoDB endpoint. */
export class LeanDocumentClient implements DocumentClient {
  constructor(readonly client: AwsJsonClient) {}

  /** A client for DynamoDB at the endpoint the standard environment names, unless `options` say otherwise. */
  static create(options?: AwsJsonClientOptions): LeanDocumentClient {
    return new LeanDocumentClient(new AwsJsonClient(DYNAMODB_SERVICE, options));
  }

  async send<Input extends object, Output extends object>(
    command: TableCommand<Input, Output>,
  ): Promise<Output> {
    const conversion = CONVERSIONS[command.operation];
    const output = await this.client.call(command.operation, conversion.input(command.input as Doc));
    return conversion.output(output) as Output;
  }
}

export const documentClient = once(() => LeanDocumentClient.create());
