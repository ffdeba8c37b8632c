// The worker types of the deployment: a queue and DLQ per declared type, a managed policy per type that
// grants a worker exactly its own resources, the state machines' role able to send to the queues, and the
// Lambdas told about the types (WORKER_TYPES).
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { workerQueueShape } from '../../functions/shared/resources';
import { loadWorkerTypes, MAX_WORKER_TYPES } from '../../functions/shared/workers/worker-types';
import { buildApp } from '../../lib/app';
import type { StepwiseStack } from '../../lib/stepwise-stack';
import { workerQueueNamePrefix } from '../../lib/workers';
import { logicalId, synthesize } from './synth';

const TYPES = [
  { name: 'research', orgs: [] },
  { name: 'lead-lists', orgs: ['org-a'] },
];

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

describe('worker types', () => {
  let stack: StepwiseStack;
  let template: Template;
  beforeAll(() => {
    ({ stack, template } = synthesize({ workerTypes: JSON.stringify(TYPES) }));
  });

  it('has no worker resources when no type is declared', () => {
    const bare = synthesize();
    expect(Object.keys(bare.template.findResources('AWS::IAM::ManagedPolicy'))).toEqual([]);
    expect(bare.stack.workers.queues).toEqual([]);
  });

  it.each(TYPES)('$name has a queue from its shape that redrives to its own DLQ', ({ name }) => {
    const shape = workerQueueShape(name);
    const { queue, deadLetterQueue } = stack.workers.types[name] ?? {};
    if (!queue || !deadLetterQueue) throw new Error(`no queue for ${name}`);
    const queues = template.findResources('AWS::SQS::Queue');
    expect(queues[logicalId(stack, queue)]?.Properties).toMatchObject({
      VisibilityTimeout: shape.visibilityTimeoutSeconds,
      MessageRetentionPeriod: shape.retentionDays * 24 * 3600,
      SqsManagedSseEnabled: true,
      RedrivePolicy: {
        maxReceiveCount: shape.deadLetter?.maxReceiveCount,
        deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(stack, deadLetterQueue), 'Arn'] },
      },
    });
    expect(queues[logicalId(stack, deadLetterQueue)]?.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
    });
  });

  it("names each queue after its type under the stack's prefix, which the Lambdas derive the URLs from", () => {
    const prefix = workerQueueNamePrefix(stack.stackName);
    expect(prefix).toMatch(/^sw[0-9a-f]{8}-$/);
    expect(workerQueueNamePrefix('another-stack')).not.toBe(prefix);
    const queues = template.findResources('AWS::SQS::Queue');
    for (const { name } of TYPES) {
      const { queue, deadLetterQueue } = stack.workers.types[name] ?? {};
      if (!queue || !deadLetterQueue) throw new Error(`no queue for ${name}`);
      expect(queues[logicalId(stack, queue)]?.Properties.QueueName).toBe(`${prefix}${name}`);
      expect(queues[logicalId(stack, deadLetterQueue)]?.Properties.QueueName).toBe(`${prefix}${name}-dlq`);
    }
    // A 64-character type (the longest slug) still fits SQS's 80-character names.
    expect(`${prefix}${'x'.repeat(64)}-dlq`.length).toBeLessThanOrEqual(80);

    // What the functions get, resolved as CloudFormation would in us-east-1, gives SQS's queue URLs.
    const sweeper =
      template.findResources('AWS::Lambda::Function')[logicalId(stack, stack.functions.sweeper)];
    const variables = sweeper?.Properties.Environment.Variables as Record<string, unknown>;
    const pseudo: Record<string, string> = {
      'AWS::Region': 'us-east-1',
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::AccountId': '123456789012',
    };
    const deployed = (value: unknown): string => {
      if (typeof value === 'string') return value;
      const ref = (value as { Ref?: string }).Ref;
      if (ref) return pseudo[ref] ?? `<${ref}>`;
      const [separator, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
      return parts.map(deployed).join(separator);
    };
    const types = loadWorkerTypes({
      WORKER_TYPES: deployed(variables.WORKER_TYPES),
      WORKER_QUEUE_URL_PREFIX: deployed(variables.WORKER_QUEUE_URL_PREFIX),
    });
    expect(types['lead-lists']).toEqual({
      name: 'lead-lists',
      orgs: ['org-a'],
      queueUrl: `https://sqs.us-east-1.amazonaws.com/123456789012/${prefix}lead-lists`,
      deadLetterQueueUrl: `https://sqs.us-east-1.amazonaws.com/123456789012/${prefix}lead-lists-dlq`,
    });
    // The sweeper watches those DLQs through WORKER_TYPES, so DLQ_URLS carries only the fixed queues'.
    expect(JSON.stringify(variables.DLQ_URLS)).not.toContain(
      logicalId(stack, stack.workers.types.research?.deadLetterQueue as never),
    );
  });

  it.each(TYPES)(
    "$name's managed policy grants only its queue, task callbacks, agentReports and its items",
    ({ name }) => {
      const { queue, policy } = stack.workers.types[name] ?? {};
      if (!queue || !policy) throw new Error(`no policy for ${name}`);
      const resource = template.findResources('AWS::IAM::ManagedPolicy')[logicalId(stack, policy)];
      const document = resource?.Properties.PolicyDocument as { Statement: Statement[] } | undefined;
      const statements = document?.Statement ?? [];
      const bySid = Object.fromEntries(statements.map((statement) => [statement.Sid, statement]));
      expect(Object.keys(bySid).sort()).toEqual([
        'CompleteItsTasks',
        'ItsWorkerItems',
        'ReportAttempts',
        'TakeStepsFromItsQueue',
      ]);
      expect(bySid.TakeStepsFromItsQueue).toMatchObject({
        Action: [
          'sqs:ReceiveMessage',
          'sqs:DeleteMessage',
          'sqs:ChangeMessageVisibility',
          'sqs:GetQueueAttributes',
        ],
        Resource: { 'Fn::GetAtt': [logicalId(stack, queue), 'Arn'] },
      });
      expect(bySid.ReportAttempts).toMatchObject({
        Action: 'lambda:InvokeFunction',
        Resource: { 'Fn::GetAtt': [logicalId(stack, stack.functions.agentReports), 'Arn'] },
      });
      expect(bySid.ItsWorkerItems).toMatchObject({
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        Resource: { 'Fn::GetAtt': [logicalId(stack, stack.data.table), 'Arn'] },
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [`WORKER#${name}`] } },
      });
      // The one "*": SendTask* accept no resource (Service Authorization Reference), and nothing else rides on it.
      const wildcards = statements.filter((statement) => JSON.stringify(statement.Resource).includes('*'));
      expect(wildcards).toEqual([
        {
          Sid: 'CompleteItsTasks',
          Effect: 'Allow',
          Action: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
          Resource: '*',
        },
      ]);
    },
  );

  it('lets the state machines send to every worker queue', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyName: Match.stringLikeRegexp('StateMachinePolicy'),
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'SendAgentSteps',
            Action: 'sqs:SendMessage',
            Resource: Match.arrayWith(
              stack.workers.queues.map((queue) => ({ 'Fn::GetAtt': [logicalId(stack, queue), 'Arn'] })),
            ),
          }),
        ]),
      },
    });
  });

  it("graphs each worker queue's oldest message age on the dashboard", () => {
    const dashboard = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));
    for (const queue of stack.workers.queues) expect(dashboard).toContain(logicalId(stack, queue));
  });

  it('outputs each queue URL and policy ARN, the table and the agent reports function, and gives the Lambdas WORKER_TYPES', () => {
    const outputs = template.findOutputs('*');
    for (const { name } of TYPES) {
      const id = workerQueueShape(name).id;
      const { queue, policy } = stack.workers.types[name] ?? {};
      if (!queue || !policy) throw new Error(`no resources for ${name}`);
      expect(outputs[`${id}Url`]?.Value).toEqual({ Ref: logicalId(stack, queue) });
      expect(outputs[`${id}PolicyArn`]?.Value).toEqual({ Ref: logicalId(stack, policy) });
    }
    // What a worker sets as STEPWISE_TABLE and STEPWISE_AGENT_REPORTS_FUNCTION.
    expect(outputs.TableName?.Value).toEqual({ Ref: logicalId(stack, stack.data.table) });
    expect(outputs.AgentReportsFunctionName?.Value).toEqual({
      Ref: logicalId(stack, stack.functions.agentReports),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ WORKER_TYPES: Match.anyValue() }) },
    });
  });

  it("holds 30 worker types (the most a deployment declares) in the functions' 4 KB of environment, and refuses at synth what would not fit", () => {
    // Two queue URLs per type in the environment made 6 types fail to deploy; the URLs are now derived.
    const synth = (count: number, orgs: string[]) => () =>
      buildApp({
        context: {
          'aws:cdk:bundling-stacks': [],
          workerTypes: JSON.stringify(
            Array.from({ length: count }, (_, i) => ({ name: `worker-type-${i}`, orgs })),
          ),
        },
        env: {},
        builtinCloudFormationValidation: false,
      }).app.synth();
    expect(synth(MAX_WORKER_TYPES, [])).not.toThrow();
    const orgs = Array.from({ length: 4 }, (_, i) => `an-organization-with-a-long-id-${i}`);
    expect(synth(MAX_WORKER_TYPES, orgs)).toThrow(
      /take about \d+ bytes, over Lambda's limit of 4096.*the largest is WORKER_TYPES/,
    );
  });
});
