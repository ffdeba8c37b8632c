// Alerts raised through the alerting service (stored, published on their severity's topic) reach an
// organization's channels through the notifier: a Slack stand-in and a webhook receiver on loopback. The
// webhook is signed per Standard Webhooks (verified with the `standardwebhooks` package), a receiver that
// fails twice gets the alert on the third attempt, and every attempt is in GET
// /admin/alerts/{id}/deliveries, which another organization cannot read. A CloudWatch alarm on a topic
// becomes a CLOUDWATCH_ALARM alert on the deployment's channels, resolved by its OK. Needs the embedded
// stack's topics: skipped against a deployment.
import { randomBytes } from 'node:crypto';
import { PublishCommand } from '@aws-sdk/client-sns';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { type AlertKind, type AlertMessage, alertMessage } from '../../functions/shared/alerts/alert';
import { DynamoAlertStore } from '../../functions/shared/alerts/alert-store';
import { createAlerting } from '../../functions/shared/alerts/alerting';
import { snsAlertPublisher } from '../../functions/shared/alerts/publish-alert';
import { createApiKey, DynamoApiKeyStore } from '../../functions/shared/auth/api-keys';
import { type AlertReceiver, startAlertReceiver } from '../support/alert-receivers';
import { apiClient } from '../support/api-request';
import { localClients, stepwiseClients } from '../support/aws-clients';
import { api, RUN } from './http-client';

const stack = inject('stack');

const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

interface Delivery {
  channelId: string;
  attempt: number;
  outcome: string;
  httpStatus?: number;
  final: boolean;
}

describe.skipIf(!stack)('alert delivery', () => {
  const endpoints = stack as NonNullable<typeof stack>;
  const clients = localClients(endpoints);
  // An organization of this file's own, so no other test's channels or alerts mix with its deliveries.
  const org = `alert-delivery-${RUN}`;
  let receiver: AlertReceiver;
  let request: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    receiver = await startAlertReceiver();
    const store = new DynamoApiKeyStore(clients.documents, endpoints.tableName);
    const owner = await createApiKey(store, { orgId: org, role: 'OWNER', name: 'alert delivery e2e' });
    request = apiClient(api.url, owner.plaintext);
  });
  afterAll(async () => {
    await receiver.close();
    clients.dynamodb.destroy();
    clients.sns.destroy();
  });

  /**
   * Raises a new CRITICAL alert of the file's org through the alerting service, which publishes it. The
   * delivery tests raise WORKER_DEAD, an event alert: the sweeper's rules resolve an OPEN condition alert
   * (ERROR_RATE) whose condition they do not see, and that RESOLVED would be one more delivery.
   */
  async function publish(kind: AlertKind): Promise<AlertMessage> {
    const alerting = createAlerting({
      store: new DynamoAlertStore(clients.documents, endpoints.tableName),
      publish: snsAlertPublisher(stepwiseClients(endpoints).sns, {
        CRITICAL: endpoints.topicArns.critical ?? '',
        WARNING: endpoints.topicArns.warning ?? '',
        INFO: endpoints.topicArns.info ?? '',
      }),
      now: () => new Date(),
      links: { apiBaseUrl: api.url },
    });
    const { alert, event } = await alerting.raise({
      dedupKey: `${kind}#WF#${org}#checkout-${Math.random().toString(36).slice(2)}`,
      kind,
      severity: 'CRITICAL',
      title: 'Error rate 60% on checkout',
      summary: '6 of 10 tasks failed in the last 5 minutes',
      org,
      workflow: 'checkout',
      value: 0.6,
      threshold: 0.5,
    });
    expect(event).toBe('OPENED');
    return alertMessage('OPENED', alert);
  }

  const poll = { timeout: 20_000, interval: 100 };
  // The requests on `path` that carry this alert: the sweeper's rules raise other alerts for this org meanwhile
  // (failed tasks of other files), and its channels take those too.
  const receivedFor = (path: string, message: AlertMessage) =>
    receiver.received(path).filter((request) => request.body.includes(message.alert.id));

  it('delivers a published alert to the Slack stand-in and to the webhook, signed with every secret', async () => {
    const [oldSecret, currentSecret] = [newSecret(), newSecret()];
    const put = await request('PUT', '/admin/alert-channels', {
      channels: [
        {
          id: 'e2e-slack',
          type: 'slack',
          webhookUrl: receiver.url('/slack/services/T1/B1/secret-token'),
        },
        {
          id: 'e2e-hook',
          type: 'webhook',
          url: receiver.url('/hook'),
          signingSecrets: [oldSecret, currentSecret],
        },
      ],
    });
    expect(put.status).toBe(200);

    const message = await publish('WORKER_DEAD');
    await expect.poll(() => receivedFor('/slack/services/T1/B1/secret-token', message).length, poll).toBe(1);
    await expect.poll(() => receivedFor('/hook', message).length, poll).toBe(1);

    const slack = JSON.parse(receivedFor('/slack/services/T1/B1/secret-token', message)[0]?.body ?? '{}');
    expect(slack.text).toBe(`CRITICAL: ${message.alert.title}`);
    expect(slack.blocks[0]).toMatchObject({
      type: 'header',
      text: { text: expect.stringContaining('CRITICAL') },
    });

    const hook = receivedFor('/hook', message)[0];
    const headers = hook?.headers as Record<string, string>;
    // Either secret of the rotation verifies the same delivery.
    for (const secret of [oldSecret, currentSecret]) {
      expect(new Webhook(secret).verify(hook?.body ?? '', headers)).toEqual(message);
    }
    // One byte of the body changed, or the delivery replayed more than 5 minutes later: refused.
    const body = hook?.body ?? '';
    const tampered = `${body.slice(0, -2)}${body.at(-2) === ' ' ? '\t' : ' '}${body.at(-1)}`;
    expect(() => new Webhook(currentSecret).verify(tampered, headers)).toThrow();
    const sentAt = Number(headers['webhook-timestamp']);
    vi.useFakeTimers({ now: (sentAt + 301) * 1000, toFake: ['Date'] });
    try {
      expect(() => new Webhook(currentSecret).verify(body, headers)).toThrow(/too old/i);
    } finally {
      vi.useRealTimers();
    }
  });

  it('retries a receiver that answers 500 twice and logs the three attempts', async () => {
    await request('PUT', '/admin/alert-channels', {
      channels: [
        {
          id: 'e2e-flaky',
          type: 'webhook',
          url: receiver.url('/flaky'),
          signingSecrets: [newSecret()],
        },
      ],
    });
    receiver.script('/flaky', [500, 500]);
    const message = await publish('WORKER_DEAD');
    await expect.poll(() => receivedFor('/flaky', message).length, poll).toBe(3);

    let deliveries: Delivery[] = [];
    await expect
      .poll(async () => {
        const reply = await request<{ items: Delivery[] }>(
          'GET',
          `/admin/alerts/${message.alert.id}/deliveries`,
        );
        deliveries = reply.body.items ?? [];
        return deliveries.length;
      }, poll)
      .toBe(3);
    expect(
      deliveries.map(({ attempt, outcome, httpStatus, final }) => ({ attempt, outcome, httpStatus, final })),
    ).toEqual([
      { attempt: 1, outcome: 'FAILED', httpStatus: 500, final: false },
      { attempt: 2, outcome: 'FAILED', httpStatus: 500, final: false },
      { attempt: 3, outcome: 'DELIVERED', httpStatus: 200, final: true },
    ]);
    // The same webhook-id on every attempt, so a receiver can tell a retry from a new alert.
    expect(new Set(receivedFor('/flaky', message).map((r) => r.headers['webhook-id'])).size).toBe(1);
  });

  it.skipIf(!api.otherOrgApiKey || !api.operatorApiKey)(
    "shows an organization its own channels' attempts only, and another organization none",
    async () => {
      const operator = apiClient(api.url, api.operatorApiKey);
      await request('PUT', '/admin/alert-channels', {
        channels: [
          {
            id: 'e2e-private',
            type: 'webhook',
            url: receiver.url('/private'),
            signingSecrets: [newSecret()],
          },
        ],
      });
      // A deployment-wide channel also takes this org's alert (TASK_FAILED only; removed again below).
      await operator('PUT', '/admin/alert-channels?scope=deployment', {
        channels: [
          {
            id: 'e2e-ops',
            type: 'webhook',
            url: receiver.url('/ops'),
            signingSecrets: [newSecret()],
            kinds: ['TASK_FAILED'],
          },
        ],
      });
      try {
        const message = await publish('TASK_FAILED');
        const path = `/admin/alerts/${message.alert.id}/deliveries`;
        type Deliveries = { items: { channelId: string; channelScope: string }[] };
        await expect
          .poll(async () => (await operator<Deliveries>('GET', path)).body.items?.length, poll)
          .toBe(2);
        const everything = await operator<Deliveries>('GET', path);
        expect(everything.body.items.map((item) => `${item.channelScope}:${item.channelId}`).sort()).toEqual([
          'deployment:e2e-ops',
          'org:e2e-private',
        ]);
        const own = await request<Deliveries>('GET', path);
        expect(own.body.items.map((item) => item.channelId)).toEqual(['e2e-private']);
        const other = await request('GET', path, undefined, { apiKey: api.otherOrgApiKey ?? null });
        expect(other.status).toBe(404);
      } finally {
        await operator('PUT', '/admin/alert-channels?scope=deployment', { channels: [] });
      }
    },
  );

  it.skipIf(!api.operatorApiKey)(
    "delivers a CloudWatch alarm to the deployment's channels as a CLOUDWATCH_ALARM alert, and its OK as RESOLVED",
    async () => {
      const operator = apiClient(api.url, api.operatorApiKey);
      // Deployment-wide channels receive every org's alerts: this one takes CloudWatch alarms only, and
      // is removed again, so no other test's alert reaches it.
      const put = await operator('PUT', '/admin/alert-channels?scope=deployment', {
        channels: [
          {
            id: 'e2e-alarms',
            type: 'webhook',
            url: receiver.url('/alarms'),
            signingSecrets: [newSecret()],
            kinds: ['CLOUDWATCH_ALARM'],
          },
        ],
      });
      expect(put.status).toBe(200);
      try {
        const AlarmName = `stepwise-e2e-${RUN}-ApiErrors`;
        const alarm = (NewStateValue: string) =>
          clients.sns.send(
            new PublishCommand({
              TopicArn: endpoints.topicArns.warning,
              Subject: `ALARM: "${AlarmName}"`,
              Message: JSON.stringify({
                AlarmName,
                AlarmArn: `arn:aws:cloudwatch:us-east-1:000000000000:alarm:${AlarmName}`,
                NewStateValue,
                NewStateReason: 'Threshold Crossed: 1 datapoint [3.0] was greater than the threshold (0.0).',
                StateChangeTime: new Date().toISOString(),
                Trigger: { MetricName: 'Errors', Namespace: 'AWS/Lambda', Threshold: 0 },
              }),
            }),
          );
        await alarm('ALARM');
        await expect.poll(() => receiver.received('/alarms').length, poll).toBe(1);
        await alarm('OK');
        await expect.poll(() => receiver.received('/alarms').length, poll).toBe(2);
        const [opened, resolved] = receiver
          .received('/alarms')
          .map((r) => JSON.parse(r.body) as AlertMessage);
        expect(opened).toMatchObject({
          event: 'OPENED',
          alert: { kind: 'CLOUDWATCH_ALARM', severity: 'WARNING', title: AlarmName },
        });
        expect(resolved).toMatchObject({
          event: 'RESOLVED',
          alert: { id: opened?.alert.id, state: 'RESOLVED' },
        });
        // Stored like any alert: operators list it, and its delivery log is there.
        const deliveries = await operator<{ items: { event: string }[] }>(
          'GET',
          `/admin/alerts/${opened?.alert.id}/deliveries`,
        );
        expect(deliveries.body.items.map((item) => item.event)).toEqual(['OPENED', 'RESOLVED']);
        // An organization never sees an org-less alert's deliveries.
        expect((await request('GET', `/admin/alerts/${opened?.alert.id}/deliveries`)).status).toBe(404);
      } finally {
        await operator('PUT', '/admin/alert-channels?scope=deployment', { channels: [] });
      }
    },
  );
});
