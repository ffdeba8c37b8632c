// A worker type's queue, as a worker uses it: long-poll for step messages, and delete one once its claim is
// recorded. The task token in the message is the lease and Step Functions owns the retries
// (HeartbeatSeconds, Worker.Lost), so no visibility timeout is ever extended (fauxqs'
// ChangeMessageVisibility quirks never matter). A received message stays invisible only for the claim
// window: when its receiver dies before claiming it (killed, or killed during a long poll, which SQS still
// answers with messages nobody reads), it is back on the queue seconds later, not after HeartbeatSeconds.
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/**
 * How long a received message stays invisible to other workers: enough to check its token and record the
 * claim (two calls, tens of ms on AWS). A claim slower than this lets a second worker receive the message,
 * and the recorder gives the step to whichever claims first (the other is answered `stale`).
 */
export const CLAIM_WINDOW_SECONDS = 3;

export interface QueueMessage {
  readonly body: string | undefined;
  readonly receiptHandle: string;
}

export interface StepQueue {
  /** Up to `max` messages, waiting up to `waitSeconds` for the first; `signal` cuts the wait short. */
  receive(max: number, waitSeconds: number, signal: AbortSignal): Promise<QueueMessage[]>;
  delete(receiptHandle: string): Promise<void>;
}

export class SqsStepQueue implements StepQueue {
  constructor(
    private readonly sqs: Pick<SQSClient, 'send'>,
    private readonly queueUrl: string,
  ) {}

  async receive(max: number, waitSeconds: number, signal: AbortSignal): Promise<QueueMessage[]> {
    const { Messages = [] } = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.queueUrl,
        MaxNumberOfMessages: Math.min(10, Math.max(1, max)),
        WaitTimeSeconds: waitSeconds,
        VisibilityTimeout: CLAIM_WINDOW_SECONDS,
      }),
      { abortSignal: signal },
    );
    return Messages.flatMap((message) =>
      message.ReceiptHandle ? [{ body: message.Body, receiptHandle: message.ReceiptHandle }] : [],
    );
  }

  async delete(receiptHandle: string): Promise<void> {
    await this.sqs.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receiptHandle }));
  }
}
