// SQS and SNS on the local stack: fauxqs, persisted in SQLite under the data folder. Queues (with their
// DLQ redrive policies) and topics come from the shared shapes; fauxqs' setup is idempotent, so a
// restart keeps the messages, subscriptions and attributes of the previous run. Each declared worker type
// gets its queue and DLQ (workerQueueShape).

import { join } from 'node:path';
import { startFauxqs } from 'fauxqs';
import type { AwsJsonTransport } from '../functions/shared/clients/in-process-transport';
import {
  deadLetterQueueNames,
  LOCAL_WORKER_QUEUE_PREFIX,
  QUEUES,
  type QueueShape,
  TOPICS,
  workerQueueShape,
} from '../functions/shared/resources';
import { sqsInProcess } from './messaging-in-process';
import { ownerOnlyFolder } from './owner-only';
import type { LocalAwsSettings } from './settings';

export type QueueKey = keyof typeof QUEUES;
export type TopicKey = keyof typeof TOPICS;

export interface LocalMessaging {
  /** fauxqs serves SQS and SNS on one endpoint. */
  readonly url: string;
  readonly queueUrls: Record<QueueKey, string>;
  /** Worker type -> the URL of its queue. */
  readonly workerQueueUrls: Record<string, string>;
  readonly topicArns: Record<TopicKey, string>;
  /** What every worker queue's URL starts with (WORKER_QUEUE_URL_PREFIX). */
  readonly workerQueueUrlPrefix: string;
  /** The dead-letter queues of the fixed queues (DLQ_URLS; the sweeper adds the worker types' own). */
  readonly dlqUrls: readonly string[];
  /** Serves SQS requests in this process, without HTTP (messaging-in-process.ts). */
  readonly transport: AwsJsonTransport;
  close(): Promise<void>;
}

export async function startMessaging(
  settings: LocalAwsSettings,
  { dataDir, port, workerTypes = [] }: { dataDir: string; port: number; workerTypes?: readonly string[] },
): Promise<LocalMessaging> {
  const path = join(dataDir, 'fauxqs');
  await ownerOnlyFolder(path);
  // Loopback only, as every listener of the stack (fauxqs binds 0.0.0.0 unless patched to take listenHost).
  const server = await startFauxqs({
    port,
    listenHost: settings.host,
    logger: false,
    dataDir: path,
    defaultRegion: settings.region,
  });
  const queueArn = (name: string) => `arn:aws:sqs:${settings.region}:${settings.accountId}:${name}`;
  const workerQueues = workerTypes.map((type) => ({ type, shape: workerQueueShape(type) }));
  const shapes: QueueShape[] = [...Object.values(QUEUES), ...workerQueues.map(({ shape }) => shape)];
  const result = server.setup({
    region: settings.region,
    queues: [
      // Dead-letter queues first, so every redrive target exists.
      ...shapes.flatMap((queue) =>
        queue.deadLetter ? [{ name: queue.deadLetter.localName, attributes: retention(queue) }] : [],
      ),
      ...shapes.map((queue) => ({
        name: queue.localName,
        attributes: {
          ...retention(queue),
          VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
          ...(queue.deadLetter && {
            RedrivePolicy: JSON.stringify({
              deadLetterTargetArn: queueArn(queue.deadLetter.localName),
              maxReceiveCount: queue.deadLetter.maxReceiveCount,
            }),
          }),
        },
      })),
    ],
    topics: Object.values(TOPICS).map((topic) => ({ name: topic.localName })),
  });
  const url = `http://${settings.host}:${server.port}`;
  // fauxqs finds a queue by name whatever the URL's host, but the SDK sends to the QueueUrl's host; the
  // URLs fauxqs stores keep the port of the run that created them, so build them for this run.
  const queueUrlOf = (name: string) => `${url}/${settings.accountId}/${name}`;
  const queueUrl = (queue: QueueShape) => queueUrlOf(queue.localName);
  const queueUrls = mapShapes(QUEUES, queueUrl);
  const workerQueueUrls = Object.fromEntries(workerQueues.map(({ type, shape }) => [type, queueUrl(shape)]));
  const arnByName = new Map(result.topics.map((topic) => [topic.name, topic.arn]));
  const topicArns = mapShapes(TOPICS, (topic) => arnByName.get(topic.localName) ?? '');
  const dlqUrls = deadLetterQueueNames(Object.values(QUEUES)).map(queueUrlOf);
  return {
    url,
    queueUrls,
    workerQueueUrls,
    workerQueueUrlPrefix: queueUrlOf(LOCAL_WORKER_QUEUE_PREFIX),
    topicArns,
    dlqUrls,
    transport: sqsInProcess(server),
    close: () => server.stop(),
  };
}

function mapShapes<K extends string, S>(
  shapes: Record<K, S>,
  value: (shape: S) => string,
): Record<K, string> {
  return Object.fromEntries(Object.entries<S>(shapes).map(([key, shape]) => [key, value(shape)])) as Record<
    K,
    string
  >;
}

function retention(queue: QueueShape): Record<string, string> {
  return { MessageRetentionPeriod: String(queue.retentionDays * 24 * 3600) };
}
