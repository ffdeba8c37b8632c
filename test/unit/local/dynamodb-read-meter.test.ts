// Read units as DynamoDB bills them, from a read's consistency and the items its response holds.
import { describe, expect, it } from 'vitest';
import { unitsOf } from '../../../local/dynamodb-read-meter';

const item = (bytes: number) => ({ pk: { S: 'p' }, sk: { S: 's' }, body: { S: 'x'.repeat(bytes - 6) } });

describe('unitsOf', () => {
  it('rounds a GetItem up to 4 KB, halves it when eventually consistent, and bills a miss the minimum', () => {
    expect(unitsOf('GetItem', { ConsistentRead: true }, { Item: item(5000) })).toBe(2);
    expect(unitsOf('GetItem', {}, { Item: item(5000) })).toBe(1);
    expect(unitsOf('GetItem', { ConsistentRead: true }, {})).toBe(1);
  });

  it("rounds a Query's items together, and reads an index eventually consistent", () => {
    const items = [item(3000), item(3000)];
    expect(unitsOf('Query', { ConsistentRead: true }, { Items: items })).toBe(2);
    expect(unitsOf('Query', { ConsistentRead: true, IndexName: 'gsi1' }, { Items: items })).toBe(1);
  });

  it("rounds each of a BatchGetItem's items apart, with its table's consistency", () => {
    const response = { Responses: { t: [item(100), item(100)] } };
    expect(unitsOf('BatchGetItem', { RequestItems: { t: { ConsistentRead: true } } }, response)).toBe(2);
    expect(unitsOf('BatchGetItem', { RequestItems: { t: {} } }, response)).toBe(1);
  });
});
