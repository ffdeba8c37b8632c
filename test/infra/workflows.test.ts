import { Duration } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { Schedule } from 'aws-cdk-lib/aws-events';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXECUTION_STATUS_HANDLER, SCHEDULES, SUBSCRIPTIONS } from '../../functions/shared/resources';
import type { StepwiseStack } from '../../lib/stepwise-stack';
import {
  actionsOf,
  allowedActionsOn,
  functionStatements,
  logicalId,
  resourcesOf,
  type Statement,
  statementsOfRole,
  synthesize,
} from './synth';

/** A state machine ARN in this stack's account and region, as the template spells it. */
const stateMachineArn = (name: string) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':states:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:stateMachine:${name}`,
    ],
  ],
});

describe('the workflow role', () => {
  let stack: StepwiseStack;
  let template: Template;
  let roleId: string;
  let statements: Statement[];
  beforeAll(() => {
    ({ stack, template } = synthesize());
    roleId = logicalId(stack, stack.workflows.role);
    statements = statementsOfRole(template, roleId);
  });

  it("is assumed by Step Functions for this account's <prefix>_* state machines only", () => {
    const role = template.findResources('AWS::IAM::Role')[roleId];
    expect(role?.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: { Service: 'states.amazonaws.com' },
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: {
            'aws:SourceArn': stateMachineArn('Stepwise_*'),
          },
        },
      }),
    ]);
  });

  it('may invoke the step runner and send to the step queues, and to no dead-letter queue', () => {
    expect(
      allowedActionsOn(statements, { 'Fn::GetAtt': [logicalId(stack, stack.functions.stepRunner), 'Arn'] }),
    ).toEqual(['lambda:InvokeFunction']);
    const sendsTo = (queue: IConstruct) =>
      allowedActionsOn(statements, { 'Fn::GetAtt': [logicalId(stack, queue), 'Arn'] });
    const { agentSteps, taskEventsDlq, alertDeliveriesDlq } = stack.messaging.queues;
    expect(sendsTo(agentSteps)).toEqual(['sqs:SendMessage']);
    for (const queue of [
      taskEventsDlq,
      alertDeliveriesDlq,
      ...Object.values(stack.messaging.deadLetterQueues),
    ]) {
      expect(sendsTo(queue)).toEqual([]);
    }
  });

  it('may trace to X-Ray and deliver logs, which need *', () => {
    expect(allowedActionsOn(statements, '*').sort()).toEqual(
      [
        'xray:PutTraceSegments',
        'xray:PutTelemetryRecords',
        'xray:GetSamplingRules',
        'xray:GetSamplingTargets',
        'logs:CreateLogDelivery',
        'logs:GetLogDelivery',
        'logs:UpdateLogDelivery',
        'logs:DeleteLogDelivery',
        'logs:ListLogDeliveries',
        'logs:PutResourcePolicy',
        'logs:DescribeResourcePolicies',
        'logs:DescribeLogGroups',
      ].sort(),
    );
    expect(statements.flatMap(actionsOf)).not.toContain('lambda:*');
  });

  it('is an output', () => {
    template.hasOutput('WorkflowRoleArn', { Value: { 'Fn::GetAtt': [roleId, 'Arn'] } });
  });
});

describe('execution status events', () => {
  let template: Template;
  let handlerArn: { 'Fn::GetAtt': [string, 'Arn'] };
  let dlqId: string;
  let ruleId: string;
  beforeAll(() => {
    const built = synthesize();
    template = built.template;
    const { stack } = built;
    handlerArn = { 'Fn::GetAtt': [logicalId(stack, stack.functions[EXECUTION_STATUS_HANDLER]), 'Arn'] };
    dlqId = logicalId(stack, stack.messaging.queues.taskEventsDlq);
    ruleId = logicalId(stack, stack.workflows.executionStatusRule);
  });

  it("go from this stack's Stepwise_* state machines of this account and region to the status handler, ends only", () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          stateMachineArn: [
            {
              prefix: stateMachineArn('Stepwise_'),
            },
          ],
          // The task is RUNNING from its create: an execution's start would cost an event and an invocation.
          status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'],
        },
      },
      Targets: [
        Match.objectLike({
          Arn: handlerArn,
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlqId, 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86400 },
        }),
      ],
    });
  });

  it('that cannot be delivered land in the task-events DLQ, which EventBridge may write to for this rule only', () => {
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: dlqId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: handlerArn,
      SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
    });
  });

  it('that the handler still fails on after its asynchronous retries land in the same DLQ, not dropped', () => {
    // EventBridge's DLQ takes only the events it could not hand to Lambda; a handler error is Lambda's.
    const built = synthesize();
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(built.stack, built.stack.functions[EXECUTION_STATUS_HANDLER]) },
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [dlqId, 'Arn'] } } },
    });
    const sends = functionStatements(built, EXECUTION_STATUS_HANDLER).filter(
      (statement) => statement.Effect === 'Allow' && actionsOf(statement).includes('sqs:SendMessage'),
    );
    expect(sends.flatMap(resourcesOf)).toEqual([{ 'Fn::GetAtt': [dlqId, 'Arn'] }]);
  });
});

describe('schedules and subscriptions', () => {
  let stack: StepwiseStack;
  let template: Template;
  beforeAll(() => {
    ({ stack, template } = synthesize());
  });

  it('creates one rule per schedule plus the status rule', () => {
    template.resourceCountIs('AWS::Events::Rule', SCHEDULES.length + 1);
  });

  it.each(SCHEDULES.map((schedule) => [schedule.id, schedule] as const))(
    '%s runs its handler at its rate',
    (_id, schedule) => {
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: Schedule.rate(Duration.minutes(schedule.rateMinutes)).expressionString,
        Targets: [
          Match.objectLike({
            Arn: { 'Fn::GetAtt': [logicalId(stack, stack.functions[schedule.handler]), 'Arn'] },
          }),
        ],
      });
    },
  );

  it('folds the metric aggregates every minute with the aggregator', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalId(stack, stack.functions.aggregator), 'Arn'] },
        }),
      ],
    });
  });

  it('subscribes each subscription handler to its topic', () => {
    template.resourcePropertiesCountIs(
      'AWS::SNS::Subscription',
      { Protocol: 'lambda' },
      SUBSCRIPTIONS.length,
    );
    for (const subscription of SUBSCRIPTIONS) {
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'lambda',
        TopicArn: { Ref: logicalId(stack, stack.messaging.topics[subscription.topic]) },
        Endpoint: { 'Fn::GetAtt': [logicalId(stack, stack.functions[subscription.handler]), 'Arn'] },
      });
    }
  });
});
