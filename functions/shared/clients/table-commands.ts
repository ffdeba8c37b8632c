// The commands of the table's document client (dynamodb.ts), with the call-site shape of
// @aws-sdk/lib-dynamodb — `client.send(new GetCommand({...}))` — and its input and output types, which
// are imported as types only: nothing of the SDK is loaded at run time. Stores depend on the
// `DocumentClient` interface, so a test can hand them any implementation.
import type { DescribeTableCommandInput, DescribeTableCommandOutput } from '@aws-sdk/client-dynamodb';
import type {
  BatchGetCommandInput,
  BatchGetCommandOutput,
  BatchWriteCommandInput,
  BatchWriteCommandOutput,
  DeleteCommandInput,
  DeleteCommandOutput,
  GetCommandInput,
  GetCommandOutput,
  PutCommandInput,
  PutCommandOutput,
  QueryCommandInput,
  QueryCommandOutput,
  ScanCommandInput,
  ScanCommandOutput,
  UpdateCommandInput,
  UpdateCommandOutput,
} from '@aws-sdk/lib-dynamodb';

export type {
  BatchGetCommandInput,
  BatchGetCommandOutput,
  BatchWriteCommandInput,
  BatchWriteCommandOutput,
  DeleteCommandInput,
  DeleteCommandOutput,
  GetCommandInput,
  GetCommandOutput,
  PutCommandInput,
  PutCommandOutput,
  QueryCommandInput,
  QueryCommandOutput,
  ScanCommandInput,
  ScanCommandOutput,
  UpdateCommandInput,
  UpdateCommandOutput,
};

/** The DynamoDB operations the document client speaks. */
export type TableOperation =
  | 'GetItem'
  | 'PutItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'Query'
  | 'Scan'
  | 'BatchGetItem'
  | 'BatchWriteItem'
  | 'DescribeTable';

/** A request to the table: the operation and its (document) input; `Output` types what `send` resolves. */
export abstract class TableCommand<Input extends object, Output extends object> {
  abstract readonly operation: TableOperation;
  /** Never set: carries the output type to `send`. */
  declare readonly output?: Output;

  constructor(readonly input: Input) {}
}

export class GetCommand extends TableCommand<GetCommandInput, GetCommandOutput> {
  readonly operation = 'GetItem';
}

export class PutCommand extends TableCommand<PutCommandInput, PutCommandOutput> {
  readonly operation = 'PutItem';
}

export class UpdateCommand extends TableCommand<UpdateCommandInput, UpdateCommandOutput> {
  readonly operation = 'UpdateItem';
}

export class DeleteCommand extends TableCommand<DeleteCommandInput, DeleteCommandOutput> {
  readonly operation = 'DeleteItem';
}

export class QueryCommand extends TableCommand<QueryCommandInput, QueryCommandOutput> {
  readonly operation = 'Query';
}

export class ScanCommand extends TableCommand<ScanCommandInput, ScanCommandOutput> {
  readonly operation = 'Scan';
}

export class BatchGetCommand extends TableCommand<BatchGetCommandInput, BatchGetCommandOutput> {
  readonly operation = 'BatchGetItem';
}

export class BatchWriteCommand extends TableCommand<BatchWriteCommandInput, BatchWriteCommandOutput> {
  readonly operation = 'BatchWriteItem';
}

/** The table's description (no items in it: nothing to marshal); the health probe's cheap read. */
export class DescribeTableCommand extends TableCommand<
  DescribeTableCommandInput,
  DescribeTableCommandOutput
> {
  readonly operation = 'DescribeTable';
}

/** What stores need of the table: lib-dynamodb's `send`, for these commands. */
export interface DocumentClient {
  send<Input extends object, Output extends object>(command: TableCommand<Input, Output>): Promise<Output>;
}

/** The name of the error DynamoDB answers when a write's condition does not hold. */
export const CONDITION_FAILED = 'ConditionalCheckFailedException';

/** Whether `error` is DynamoDB's answer that a write's condition did not hold. */
export function isConditionFailure(error: unknown): boolean {
  return error instanceof Error && error.name === CONDITION_FAILED;
}
