// What the workflows run as and what reacts to them:
// - the IAM role every workflow state machine runs as (the api Lambda creates one state machine per
//   workflow version at runtime and passes this role);
// - the EventBridge rule that sends Step Functions status changes of stepwise state machines to
//   EXECUTION_STATUS_HANDLER, with retries and a dead-letter queue (of the rule's deliveries and of the
//   handler's failed invocations) so no status change is lost;
// - the SCHEDULES (EventBridge rate rules) and SUBSCRIPTIONS (SNS -> Lambda) of resources.ts.
import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SETTLING_EXECUTION_STATUSES } from '../functions/shared/executions/execution-status-event';
import { stateMachineNameStart } from '../functions/shared/registry/state-machine-name';
import {
  EXECUTION_STATUS_HANDLER,
  type FunctionName,
  SCHEDULES,
  SUBSCRIPTIONS,
  type TOPICS,
} from '../functions/shared/resources';

export interface WorkflowsProps {
  /**
   * This stack's state machine name prefix (STATE_MACHINE_PREFIX): every workflow state machine it
   * creates is named `<prefix>_...` (stateMachineName in functions/shared/registry).
   */
  readonly stateMachinePrefix: string;
  readonly functions: Readonly<Record<FunctionName, lambda.IFunction>>;
  /** The function the workflows' built-in steps invoke. */
  readonly stepRunner: lambda.IFunction;
  /** Queues the workflows may send to (`agent` steps, with a task token). */
  readonly queues: readonly sqs.IQueue[];
  readonly topics: Readonly<Record<keyof typeof TOPICS, sns.ITopic>>;
  /** Where status change events go when EXECUTION_STATUS_HANDLER keeps failing. */
  readonly statusEventsDeadLetterQueue: sqs.IQueue;
  /**
   * How often EventBridge retries delivering a status change to the handler.
   * @default 8
   */
  readonly statusEventRetryAttempts?: number;
}

export class Workflows extends Construct {
  /** The role every workflow state machine runs as. */
  readonly role: iam.Role;
  /** The permissions of the workflow role (X-Ray and log delivery need `*`). */
  readonly policy: iam.Policy;
  readonly executionStatusRule: events.Rule;
  readonly scheduleRules: readonly events.Rule[];
  /** `<prefix>_`: where every name of this stack's workflow state machines starts. */
  readonly stateMachineNameStart: string;
  /** ARN pattern of this stack's workflow state machines (`...:stateMachine:<prefix>_*`). */
  readonly stateMachineArnPattern: string;
  /** ARN pattern of their executions (`...:execution:<prefix>_*:*`). */
  readonly executionArnPattern: string;

  constructor(scope: Construct, id: string, props: WorkflowsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.stateMachineNameStart = stateMachineNameStart(props.stateMachinePrefix);
    const statesArn = (resource: string, resourceName: string) =>
      stack.formatArn({
        service: 'states',
        resource,
        resourceName,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    this.stateMachineArnPattern = statesArn('stateMachine', `${this.stateMachineNameStart}*`);
    this.executionArnPattern = statesArn('execution', `${this.stateMachineNameStart}*:*`);

    // Only this stack's state machines may run as the role (Step Functions sets aws:SourceArn).
    this.role = new iam.Role(this, 'StateMachineRole', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': this.stateMachineArnPattern },
        },
      }),
      description: 'The role every stepwise workflow state machine runs as',
    });
    this.policy = new iam.Policy(this, 'StateMachinePolicy', {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({
          sid: 'InvokeStepRunner',
          actions: ['lambda:InvokeFunction'],
          // Unqualified: the compiled state machines invoke $LATEST by the ARN in STEP_RUNNER_ARN.
          resources: [props.stepRunner.functionArn],
        }),
        new iam.PolicyStatement({
          sid: 'SendAgentSteps',
          actions: ['sqs:SendMessage'],
          resources: props.queues.map((queue) => queue.queueArn),
        }),
        // X-Ray and CloudWatch Logs vended delivery support no resource-level permissions.
        new iam.PolicyStatement({
          sid: 'XRayTracing',
          actions: [
            'xray:PutTraceSegments',
            'xray:PutTelemetryRecords',
            'xray:GetSamplingRules',
            'xray:GetSamplingTargets',
          ],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'LogDelivery',
          actions: [
            'logs:CreateLogDelivery',
            'logs:GetLogDelivery',
            'logs:UpdateLogDelivery',
            'logs:DeleteLogDelivery',
            'logs:ListLogDeliveries',
            'logs:PutResourcePolicy',
            'logs:DescribeResourcePolicies',
            'logs:DescribeLogGroups',
          ],
          resources: ['*'],
        }),
      ],
    });

    Validations.of(this.policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only the X-Ray (PutTraceSegments, PutTelemetryRecords, GetSampling*) and CloudWatch Logs vended delivery actions use *: neither supports resource-level permissions.',
    });

    // Ends of executions of this stack's state machines only (this account, region and name prefix).
    this.executionStatusRule = new events.Rule(this, 'ExecutionStatusRule', {
      description: `Step Functions status changes of ${this.stateMachineNameStart}* state machines`,
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          stateMachineArn: events.Match.prefix(statesArn('stateMachine', this.stateMachineNameStart)),
          status: [...SETTLING_EXECUTION_STATUSES],
        },
      },
      targets: [
        new targets.LambdaFunction(props.functions[EXECUTION_STATUS_HANDLER], {
          deadLetterQueue: props.statusEventsDeadLetterQueue,
          retryAttempts: props.statusEventRetryAttempts ?? 8,
          maxEventAge: Duration.hours(24),
        }),
      ],
    });

    // EventBridge invokes the handler asynchronously: its DLQ takes only the events it could not hand to
    // Lambda. An event the handler itself fails on is retried by Lambda (twice) and then dropped, unless
    // the function's own async configuration sends it on: to the same queue, as a destination record
    // (the event under `requestPayload`), so it is alarmed and can be looked at like the others.
    props.functions[EXECUTION_STATUS_HANDLER].configureAsyncInvoke({
      onFailure: new destinations.SqsDestination(props.statusEventsDeadLetterQueue),
    });

    Validations.of(props.statusEventsDeadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the execution status rule; a dead-letter queue of its own would only move the messages again.',
    });

    this.scheduleRules = SCHEDULES.map(
      (schedule) =>
        new events.Rule(this, schedule.id, {
          description: `Runs ${schedule.handler} every ${schedule.rateMinutes} minute(s)`,
          schedule: events.Schedule.rate(Duration.minutes(schedule.rateMinutes)),
          targets: [new targets.LambdaFunction(props.functions[schedule.handler])],
        }),
    );

    for (const subscription of SUBSCRIPTIONS) {
      props.topics[subscription.topic].addSubscription(
        new subscriptions.LambdaSubscription(props.functions[subscription.handler]),
      );
    }
  }
}
