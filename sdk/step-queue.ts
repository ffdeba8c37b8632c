// A worker type's queue, as a worker uses it: long-poll for step messages, and delete one to claim it.
// Deleting at once is the whole lease protocol: the task token in the message is the lease, Step Functions
// owns the retries (HeartbeatSeconds, Worker.Lost), and no visibility timeout has to be managed (so
// fauxqs' ChangeMessageVisibility quirks never matter).
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

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
