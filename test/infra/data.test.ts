import type { Template } from 'aws-cdk-lib/assertions';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { TABLE, TABLE_KEY_ATTRIBUTES } from '../../functions/shared/resources';
import type { StepwiseStack } from '../../lib/stepwise-stack';
import { logicalId, synthesize } from './synth';

describe('the table', () => {
  let stack: StepwiseStack;
  let template: Template;
  beforeAll(() => {
    ({ stack, template } = synthesize());
  });

  it('is the only table, keyed by the shared pk/sk string keys', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
      ],
    });
  });

  it('bills per request, keeps point-in-time recovery and expires items through the TTL attribute', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: TABLE.timeToLiveAttribute, Enabled: true },
    });
  });

  it('has exactly the shared GSIs, with string keys and their declared projections', () => {
    const expected = TABLE.globalSecondaryIndexes.map((index) => ({
      IndexName: index.indexName,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection: {
        ProjectionType: index.projection,
        ...(index.nonKeyAttributes && { NonKeyAttributes: [...index.nonKeyAttributes] }),
      },
    }));
    template.hasResourceProperties('AWS::DynamoDB::Table', { GlobalSecondaryIndexes: expected });
    const keys = TABLE_KEY_ATTRIBUTES;
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      AttributeDefinitions: Match.arrayWith(
        keys.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
      ),
    });
  });

  it('is retained when the stack is deleted or the table replaced', () => {
    const resource = template.findResources('AWS::DynamoDB::Table')[logicalId(stack, stack.data.table)];
    expect(resource).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });
});
