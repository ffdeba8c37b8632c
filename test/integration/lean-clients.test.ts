// stepwise's SQS and Step Functions clients (the lean JSON-protocol client, not the SDK's) against the
// embedded stack's endpoints: outputs as the SDK shapes them (timestamps as Dates), errors by their AWS
// name with the HTTP status.
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  ListStateMachinesCommand,
  StartExecutionCommand,
  StopExecutionCommand,
} from '../../functions/shared/clients/sfn';
import { GetQueueAttributesCommand, SendMessageCommand } from '../../functions/shared/clients/sqs';
import { localClients, stepwiseClients } from '../support/aws-clients';

const endpoints = inject('endpoints');
const { sqs, sfn } = stepwiseClients(endpoints);
const sdk = localClients(endpoints);
afterAll(() => {
  for (const client of [sdk.sqs, sdk.sns, sdk.sfn, sdk.dynamodb]) client.destroy();
});
const unique = (prefix: string) => `${prefix}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

describe('the lean Step Functions client', () => {
  it('creates a machine, starts, describes and stops an execution, with its dates as Dates', async () => {
    const before = Date.now();
    const { stateMachineArn = '', creationDate } = await sfn.send(
      new CreateStateMachineCommand({
        name: unique('lean'),
        roleArn: `arn:aws:iam::${endpoints.accountId}:role/local`,
        definition: JSON.stringify({
          StartAt: 'Wait',
          States: { Wait: { Type: 'Wait', Seconds: 60, End: true } },
        }),
      }),
    );
    expect(stateMachineArn).toContain(':stateMachine:');
    expect(creationDate).toBeInstanceOf(Date);
    const { executionArn = '', startDate } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name: unique('run'), input: '{"a":1}' }),
    );
    expect(startDate).toBeInstanceOf(Date);
    expect(startDate?.getTime()).toBeGreaterThanOrEqual(before - 1000);

    const running = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(running).toMatchObject({ executionArn, status: 'RUNNING', input: '{"a":1}' });
    expect(running.$metadata.httpStatusCode).toBe(200);

    await sfn.send(new StopExecutionCommand({ executionArn, error: 'Lean', cause: 'test' }));
    const stopped = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(stopped).toMatchObject({ status: 'ABORTED', error: 'Lean', cause: 'test' });
    expect(stopped.stopDate).toBeInstanceOf(Date);

    const { stateMachines = [] } = await sfn.send(new ListStateMachinesCommand({ maxResults: 1 }));
    expect(stateMachines[0]?.creationDate).toBeInstanceOf(Date);
  });

  it("throws Step Functions' errors by name, with the HTTP status", async () => {
    const error = await sfn
      .send(
        new DescribeExecutionCommand({
          executionArn: `arn:aws:states:${endpoints.region}:${endpoints.accountId}:execution:none:${unique('x')}`,
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ExecutionDoesNotExist', $metadata: { httpStatusCode: 400 } });
  });
});

describe('the lean SQS client', () => {
  it('sends a message and reads the queue attributes', async () => {
    // A queue of its own (the SDK creates it: stepwise never does), so no DLQ rule sees the message.
    const { QueueUrl: queueUrl = '' } = await sdk.sqs.send(
      new CreateQueueCommand({ QueueName: unique('lean') }),
    );
    const { MessageId } = await sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"lean":1}' }),
    );
    expect(MessageId).toEqual(expect.any(String));
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    expect(Number(Attributes.ApproximateNumberOfMessages)).toBeGreaterThanOrEqual(1);
  });

  it("throws SQS's error by name for a queue that does not exist", async () => {
    const error = await sqs
      .send(
        new GetQueueAttributesCommand({
          QueueUrl: `${endpoints.sqs}/${endpoints.accountId}/${unique('missing')}`,
          AttributeNames: ['All'],
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'QueueDoesNotExist' });
    expect((error as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(400);
  });
});
