// The local SQS (fauxqs) and Step Functions served in process answer what their HTTP endpoints answer,
// errors included, on the same state: a message sent in process is received over HTTP, an execution
// started in process runs and is described.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueueUrlCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsJsonTransport } from '../../../functions/shared/clients/in-process-transport';
import { type LocalMessaging, startMessaging } from '../../../local/messaging';
import { LOCAL_AWS } from '../../../local/settings';
import { startStepFunctionsLocal } from '../../../local/stepfunctions/server';

let dataDir: string;
let messaging: LocalMessaging;
let stepfunctions: { url: string; transport: AwsJsonTransport; close(): Promise<void> };
let sqs: SQSClient;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'stepwise-in-process-'));
  messaging = await startMessaging(LOCAL_AWS, { dataDir, port: 0 });
  stepfunctions = await startStepFunctionsLocal({
    port: 0,
    region: LOCAL_AWS.region,
    accountId: LOCAL_AWS.accountId,
    endpoints: { sqs: messaging.url, sns: messaging.url, dynamodb: 'http://127.0.0.1:1' },
    invokeLambda: async () => ({}),
  });
  sqs = new SQSClient({
    endpoint: messaging.url,
    region: LOCAL_AWS.region,
    credentials: LOCAL_AWS.credentials,
  });
});

afterAll(async () => {
  sqs?.destroy();
  await stepfunctions?.close();
  await messaging?.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function call(transport: AwsJsonTransport, endpoint: string, target: string, request: unknown) {
  const { status, body } = await transport({ endpoint, target, body: JSON.stringify(request) });
  return { status, body: JSON.parse(body) as Record<string, unknown> };
}

describe('local SQS in process', () => {
  const sqsCall = (action: string, request: unknown) =>
    call(messaging.transport, messaging.url, `AmazonSQS.${action}`, request);

  it('sends a message that a client over HTTP receives', async () => {
    const QueueUrl = messaging.queueUrls.taskEventsDlq;
    const sent = await sqsCall('SendMessage', { QueueUrl, MessageBody: 'in process' });
    expect(sent.status).toBe(200);
    expect(sent.body.MessageId).toEqual(expect.any(String));
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    expect(received.Messages?.map((message) => message.Body)).toEqual(['in process']);
    const url = await sqsCall('GetQueueUrl', { QueueName: 'stepwise-task-events-dlq' });
    const overHttp = await sqs.send(new GetQueueUrlCommand({ QueueName: 'stepwise-task-events-dlq' }));
    expect(url).toEqual({ status: 200, body: { QueueUrl: overHttp.QueueUrl } });
  });

  it('answers errors as the HTTP endpoint does', async () => {
    const missing = await sqsCall('GetQueueUrl', { QueueName: 'no-such-queue' });
    expect(missing.status).toBe(400);
    expect(missing.body.__type).toBe('com.amazonaws.sqs#QueueDoesNotExist');
    const unknown = await sqsCall('Frobnicate', {});
    expect(unknown.status).toBe(400);
    expect(unknown.body.__type).toBe('com.amazonaws.sqs#InvalidAction');
    const notJson = await messaging.transport({
      endpoint: messaging.url,
      target: 'AmazonSQS.SendMessage',
      body: '{"QueueUrl":',
    });
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.body).__type).toBe('com.amazon.coral.service#SerializationException');
  });
});

describe('local Step Functions in process', () => {
  const sfnCall = (action: string, request: unknown) =>
    call(stepfunctions.transport, stepfunctions.url, `AWSStepFunctions.${action}`, request);

  it('creates a state machine and runs an execution to its end', async () => {
    const created = await sfnCall('CreateStateMachine', {
      name: 'in-process',
      roleArn: `arn:aws:iam::${LOCAL_AWS.accountId}:role/local`,
      definition: JSON.stringify({
        StartAt: 'Done',
        States: { Done: { Type: 'Pass', Result: { ok: true }, End: true } },
      }),
    });
    expect(created.status).toBe(200);
    const started = await sfnCall('StartExecution', {
      stateMachineArn: created.body.stateMachineArn,
      input: '{}',
    });
    expect(started.status).toBe(200);
    await expect
      .poll(
        async () => (await sfnCall('DescribeExecution', { executionArn: started.body.executionArn })).body,
      )
      .toMatchObject({ status: 'SUCCEEDED', output: '{"ok":true}' });
  });

  it('answers errors as the HTTP endpoint does', async () => {
    const missing = await sfnCall('DescribeStateMachine', {
      stateMachineArn: `arn:aws:states:${LOCAL_AWS.region}:${LOCAL_AWS.accountId}:stateMachine:none`,
    });
    expect(missing.status).toBe(400);
    expect(missing.body.__type).toBe('StateMachineDoesNotExist');
    const unknown = await sfnCall('Frobnicate', {});
    expect(unknown.status).toBe(400);
    expect(unknown.body.__type).toBe('UnknownOperationException');
    const notJson = await stepfunctions.transport({
      endpoint: stepfunctions.url,
      target: 'AWSStepFunctions.ListStateMachines',
      body: '[',
    });
    expect(notJson.status).toBe(400);
    expect(JSON.parse(notJson.body).__type).toBe('SerializationException');
  });
});
