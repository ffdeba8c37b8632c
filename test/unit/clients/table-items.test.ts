// What every store shares, against dynalite over HTTP: a failed condition is an answer (told by the error's
// name), any other error is thrown, and a batch read sends its leftovers again until none are left.
import { createServer } from 'node:http';
import dynalite from 'dynalite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsJsonClient } from '../../../functions/shared/clients/aws-json';
import { DYNAMODB_SERVICE, LeanDocumentClient } from '../../../functions/shared/clients/dynamodb';
import { UpdateCommand } from '../../../functions/shared/clients/table-commands';
import { batchGetItems, conditionalWrite, putIfAbsent } from '../../../functions/shared/table-items';
import { closeServer, listen } from '../../../local/listen';
import { LOCAL_AWS } from '../../../local/settings';

const TABLE = 'items';
const server = dynalite({ createTableMs: 0 });
let documents: LeanDocumentClient;
const options = (endpoint: string) => ({
  endpoint,
  region: LOCAL_AWS.region,
  credentials: LOCAL_AWS.credentials,
});

beforeAll(async () => {
  const endpoint = await listen(server, 0, '127.0.0.1');
  await new AwsJsonClient(DYNAMODB_SERVICE, options(endpoint)).call('CreateTable', {
    TableName: TABLE,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
  });
  documents = LeanDocumentClient.create(options(endpoint));
});
afterAll(() => closeServer(server));

describe('table items', () => {
  it('putIfAbsent writes once, then answers false', async () => {
    expect(await putIfAbsent(documents, TABLE, { pk: 'a', v: 1 })).toBe(true);
    expect(await putIfAbsent(documents, TABLE, { pk: 'a', v: 2 })).toBe(false);
  });

  it('conditionalWrite answers undefined on a failed condition and throws any other error', async () => {
    const update = (table: string) =>
      documents.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk: 'a' },
          UpdateExpression: 'SET v = :v',
          ConditionExpression: 'v = :old',
          ExpressionAttributeValues: { ':v': 3, ':old': 99 },
        }),
      );
    await expect(conditionalWrite(update(TABLE))).resolves.toBeUndefined();
    await expect(conditionalWrite(update('missing-table'))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('batchGetItems sends the unprocessed keys again and returns every item', async () => {
    const requests: unknown[] = [];
    const stub = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString());
        requests.push(body.RequestItems[TABLE].Keys);
        const [first, ...rest] = body.RequestItems[TABLE].Keys as { pk: { S: string } }[];
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(
          JSON.stringify({
            Responses: { [TABLE]: first ? [{ pk: first.pk, v: { N: '1' } }] : [] },
            ...(rest.length > 0 && { UnprocessedKeys: { [TABLE]: { Keys: rest, ConsistentRead: true } } }),
          }),
        );
      });
    });
    const url = await listen(stub, 0, '127.0.0.1');
    try {
      const items = await batchGetItems(LeanDocumentClient.create(options(url)), TABLE, [
        { pk: 'x' },
        { pk: 'y' },
        { pk: 'z' },
      ]);
      expect(items).toEqual([
        { pk: 'x', v: 1 },
        { pk: 'y', v: 1 },
        { pk: 'z', v: 1 },
      ]);
      expect(requests).toEqual([
        [{ pk: { S: 'x' } }, { pk: { S: 'y' } }, { pk: { S: 'z' } }],
        [{ pk: { S: 'y' } }, { pk: { S: 'z' } }],
        [{ pk: { S: 'z' } }],
      ]);
    } finally {
      await closeServer(stub);
    }
  });
});
