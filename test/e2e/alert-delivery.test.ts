// Alerts published on the alert topics reach an organization's channels through the notifier: a Slack
// stand-in and a webhook receiver on loopback. The webhook is signed per Standard Webhooks (verified with
// the `standardwebhooks` package), a receiver that fails twice gets the alert on the third attempt, and
// every attempt is in GET /admin/alerts/{id}/deliveries, which another organization cannot read. Needs
// the embedded stack's topics: skipped against a deployment.
import { randomBytes, randomUUID } from 'node:crypto';
import { PublishCommand } from '@aws-sdk/client-sns';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AlertMessage } from '../../functions/shared/alerts/alert-notification';
import { createApiKey, DynamoApiKeyStore } from '../../functions/shared/auth/api-keys';
import { type AlertReceiver, startAlertReceiver } from '../support/alert-receivers';
import { apiClient } from '../support/api-request';
import { localClients } from '../support/aws-clients';
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

  /** Stores the alert (so its delivery log is readable) and publishes it on its severity's topic. */
  async function publish(kind: string, alertOrg = org): Promise<AlertMessage> {
    const now = new Date().toISOString();
    const id = randomUUID();
    const message: AlertMessage = {
      type: 'stepwise.alert',
      version: 1,
      event: 'OPENED',
      alert: {
        id,
        dedupKey: `${kind}#${id}`,
        kind,
        severity: 'CRITICAL',
        state: 'OPEN',
        title: `Error rate 60% on checkout (${kind})`,
        summary: '6 of 10 tasks failed in the last 5 minutes',
        org: alertOrg,
        workflow: 'checkout',
        value: 0.6,
        threshold: 0.5,
        firstSeenAt: now,
        lastSeenAt: now,
        count: 1,
        links: { api: `${api.url}/admin/alerts/${id}`, console: `${api.url}/console/alerts/${id}` },
      },
    };
    await clients.documents.send(
      new PutCommand({
        TableName: endpoints.tableName,
        Item: { pk: `ALERT#${id}`, sk: 'ALERT', ...message.alert },
      }),
    );
    await clients.sns.send(
      new PublishCommand({
        TopicArn: endpoints.topicArns.critical,
        Subject: `[CRITICAL] ${message.alert.title}`,
        Message: JSON.stringify(message),
      }),
    );
    return message;
  }

  const poll = { timeout: 20_000, interval: 100 };

  it('delivers a published alert to the Slack stand-in and to the webhook, signed with every secret', async () => {
    const [oldSecret, currentSecret] = [newSecret(), newSecret()];
    const put = await request('PUT', '/admin/alert-channels', {
      channels: [
        {
          id: 'e2e-slack',
          type: 'slack',
          webhookUrl: receiver.url('/slack/services/T1/B1/secret-token'),
          kinds: ['E2E_BOTH'],
        },
        {
          id: 'e2e-hook',
          type: 'webhook',
          url: receiver.url('/hook'),
          signingSecrets: [oldSecret, currentSecret],
          kinds: ['E2E_BOTH'],
        },
      ],
    });
    expect(put.status).toBe(200);

    const message = await publish('E2E_BOTH');
    await expect.poll(() => receiver.received('/slack/services/T1/B1/secret-token').length, poll).toBe(1);
    await expect.poll(() => receiver.received('/hook').length, poll).toBe(1);

    const slack = JSON.parse(receiver.received('/slack/services/T1/B1/secret-token')[0]?.body ?? '{}');
    expect(slack.text).toBe(`CRITICAL: ${message.alert.title}`);
    expect(slack.blocks[0]).toMatchObject({
      type: 'header',
      text: { text: expect.stringContaining('CRITICAL') },
    });

    const hook = receiver.received('/hook')[0];
    const headers = hook?.headers as Record<string, string>;
    // Either secret of the rotation verifies the same delivery.
    for (const secret of [oldSecret, currentSecret]) {
      expect(new Webhook(secret).verify(hook?.body ?? '', headers)).toEqual(message);
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
          kinds: ['E2E_FLAKY'],
        },
      ],
    });
    receiver.script('/flaky', [500, 500]);
    const message = await publish('E2E_FLAKY');
    await expect.poll(() => receiver.received('/flaky').length, poll).toBe(3);

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
    expect(new Set(receiver.received('/flaky').map((r) => r.headers['webhook-id'])).size).toBe(1);
  });

  it.skipIf(!api.otherOrgApiKey)("hides an organization's deliveries from another organization", async () => {
    await request('PUT', '/admin/alert-channels', {
      channels: [
        {
          id: 'e2e-private',
          type: 'webhook',
          url: receiver.url('/private'),
          signingSecrets: [newSecret()],
          kinds: ['E2E_PRIVATE'],
        },
      ],
    });
    const message = await publish('E2E_PRIVATE');
    await expect.poll(() => receiver.received('/private').length, poll).toBe(1);
    const own = await request('GET', `/admin/alerts/${message.alert.id}/deliveries`);
    expect(own.status).toBe(200);
    const other = await request('GET', `/admin/alerts/${message.alert.id}/deliveries`, undefined, {
      apiKey: api.otherOrgApiKey ?? null,
    });
    expect(other.status).toBe(404);
  });
});
