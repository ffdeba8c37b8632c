// SQS queues (each with its dead-letter queue when its shape has one) and the SNS alert topics, built
// from QUEUES and TOPICS in functions/shared/resources.ts. Their alarms and email subscriptions are the
// alerting construct's (lib/alerting.ts).
import { Duration } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { QUEUES, type QueueShape, TOPICS } from '../functions/shared/resources';

export type QueueKey = keyof typeof QUEUES;
export type TopicKey = keyof typeof TOPICS;

/** Dead-letter queues keep messages for the SQS maximum, so there is time to look at them. */
const DEAD_LETTER_RETENTION = Duration.days(14);

export class Messaging extends Construct {
  /** The queues of QUEUES by key. */
  readonly queues: Readonly<Record<QueueKey, sqs.Queue>>;
  /** Every queue created here: the QUEUES entries and their dead-letter queues. */
  readonly allQueues: readonly sqs.Queue[];
  /**
   * Every dead-letter queue, by its local name: those of the shapes with a `deadLetter`, and the shapes
   * that are themselves one (`isDeadLetterQueue`).
   */
  readonly deadLetterQueues: Readonly<Record<string, sqs.Queue>>;
  readonly topics: Readonly<Record<TopicKey, sns.Topic>>;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const allQueues: sqs.Queue[] = [];
    const queue = (
      queueId: string,
      shape: Omit<QueueShape, 'id' | 'localName'>,
      deadLetterQueue?: sqs.DeadLetterQueue,
    ) => {
      const created = new sqs.Queue(this, queueId, {
        visibilityTimeout: Duration.seconds(shape.visibilityTimeoutSeconds),
        retentionPeriod: Duration.days(shape.retentionDays),
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        ...(deadLetterQueue && { deadLetterQueue }),
      });
      allQueues.push(created);
      return created;
    };

    const queues = {} as Record<QueueKey, sqs.Queue>;
    const deadLetterQueues: Record<string, sqs.Queue> = {};
    for (const [key, shape] of Object.entries(QUEUES) as [QueueKey, QueueShape][]) {
      const deadLetter = shape.deadLetter;
      const deadLetterQueue = deadLetter && {
        maxReceiveCount: deadLetter.maxReceiveCount,
        queue: queue(deadLetter.id, {
          visibilityTimeoutSeconds: shape.visibilityTimeoutSeconds,
          retentionDays: DEAD_LETTER_RETENTION.toDays(),
        }),
      };
      queues[key] = queue(shape.id, shape, deadLetterQueue);
      if (deadLetter && deadLetterQueue) deadLetterQueues[deadLetter.localName] = deadLetterQueue.queue;
      if (shape.isDeadLetterQueue) deadLetterQueues[shape.localName] = queues[key];
    }
    this.queues = queues;
    this.allQueues = allQueues;
    this.deadLetterQueues = deadLetterQueues;

    const topics = {} as Record<TopicKey, sns.Topic>;
    for (const [key, shape] of Object.entries(TOPICS) as [TopicKey, (typeof TOPICS)[TopicKey]][]) {
      const topic = new sns.Topic(this, shape.id, {
        displayName: `stepwise ${shape.severity} alerts`,
        enforceSSL: true,
      });
      topics[key] = topic;
    }
    this.topics = topics;
  }
}
