// The worker types of the deployment (`workerTypes`, functions/shared/workers/worker-types.ts): per type a
// queue and its DLQ (workerQueueShape), and the IAM managed policy a worker of that type runs with. The
// queues are named `sw<hash of the stack name>-<type>[-dlq]` (at most 79 of SQS's 80 characters), so the
// Lambdas derive their URLs from one prefix rather than carry them in their 4 KB of environment. The
// policy grants only what the worker SDK calls: its own queue, the task-token callbacks, the agentReports
// function, and the table items under its type's partition (`WORKER#<type>`).
import { createHash } from 'node:crypto';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { workerQueueNames, workerQueueShape } from '../functions/shared/resources';
import { workerPartition } from '../functions/shared/workers/worker-item';
import type { WorkerTypeDeclaration } from '../functions/shared/workers/worker-types';
import { workerTypesEnvironment } from '../functions/shared/workers/worker-types';

/** Dead-letter queues keep messages for the SQS maximum, so there is time to look at them. */
const DEAD_LETTER_RETENTION = Duration.days(14);

export interface WorkersProps {
  readonly workerTypes: readonly WorkerTypeDeclaration[];
  readonly table: dynamodb.ITable;
  /** The function workers report their claims and results to. */
  readonly agentReports: lambda.IFunction;
}

/** One declared worker type's resources. */
export interface WorkerTypeResources {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly policy: iam.ManagedPolicy;
}

export class Workers extends Construct {
  /** By worker type name. */
  readonly types: Readonly<Record<string, WorkerTypeResources>>;
  /** Every worker queue (the state machines' role may send to them). */
  readonly queues: readonly sqs.Queue[];
  /** The WORKER_TYPES value of the Lambdas: each type with its orgs. */
  readonly environment: string;
  /** The WORKER_QUEUE_URL_PREFIX value of the Lambdas: a type's queue URL is this and its name. */
  readonly queueUrlPrefix: string;

  constructor(scope: Construct, id: string, props: WorkersProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const namePrefix = workerQueueNamePrefix(stack.stackName);
    const types: Record<string, WorkerTypeResources> = {};
    for (const { name } of props.workerTypes) {
      const shape = workerQueueShape(name);
      const deadLetter = shape.deadLetter;
      if (!deadLetter) throw new Error(`The worker queue shape of ${name} has no dead-letter queue`);
      const names = workerQueueNames(namePrefix, name);
      const deadLetterQueue = new sqs.Queue(this, deadLetter.id, {
        queueName: names.deadLetter,
        visibilityTimeout: Duration.seconds(shape.visibilityTimeoutSeconds),
        retentionPeriod: DEAD_LETTER_RETENTION,
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
      });
      Validations.of(deadLetterQueue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: `The dead-letter queue of the ${name} worker queue; one of its own would only move the messages again.`,
      });
      const queue = new sqs.Queue(this, shape.id, {
        queueName: names.queue,
        visibilityTimeout: Duration.seconds(shape.visibilityTimeoutSeconds),
        retentionPeriod: Duration.days(shape.retentionDays),
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: deadLetter.maxReceiveCount },
      });
      const policy = this.workerPolicy(name, queue, props);
      types[name] = { queue, deadLetterQueue, policy };
    }
    this.types = types;
    this.queues = Object.values(types).map((type) => type.queue);
    this.environment = workerTypesEnvironment(props.workerTypes);
    this.queueUrlPrefix = `https://sqs.${stack.region}.${stack.urlSuffix}/${stack.account}/${namePrefix}`;
  }

  private workerPolicy(name: string, queue: sqs.Queue, props: WorkersProps): iam.ManagedPolicy {
    const policy = new iam.ManagedPolicy(this, `${workerQueueShape(name).id}Policy`, {
      description: `stepwise: what a ${name} worker may do (its queue, task-token callbacks, agent reports, its worker items)`,
      statements: [
        new iam.PolicyStatement({
          sid: 'TakeStepsFromItsQueue',
          actions: [
            'sqs:ReceiveMessage',
            'sqs:DeleteMessage',
            'sqs:ChangeMessageVisibility',
            'sqs:GetQueueAttributes',
          ],
          resources: [queue.queueArn],
        }),
        // The Service Authorization Reference lists no resource type for SendTaskSuccess, SendTaskFailure
        // and SendTaskHeartbeat: they accept only "*". The task token itself is the authorization to
        // complete a task, and a worker only ever holds the tokens of its own queue's messages.
        new iam.PolicyStatement({
          sid: 'CompleteItsTasks',
          actions: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'ReportAttempts',
          actions: ['lambda:InvokeFunction'],
          resources: [props.agentReports.functionArn],
        }),
        new iam.PolicyStatement({
          sid: 'ItsWorkerItems',
          actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
          resources: [props.table.tableArn],
          conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [workerPartition(name)] } },
        }),
      ],
    });
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'states:SendTaskSuccess/SendTaskFailure/SendTaskHeartbeat support no resource-level permissions (Service Authorization Reference); the task token authorizes the call.',
    });
    return policy;
  }
}

/** `sw` and 8 hex digits of the stack name's hash, then `-`: unique per stack in an account and region. */
export function workerQueueNamePrefix(stackName: string): string {
  return `sw${createHash('sha256').update(stackName).digest('hex').slice(0, 8)}-`;
}
