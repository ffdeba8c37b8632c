// Delivery to channels with in-memory stores and a scripted receiver: attempts, backoff, Retry-After,
// timeouts, the rate limit, the delivery log, parking, and which channels an alert goes to.
import { describe, expect, it } from 'vitest';
import type { AlertMessage } from '../../../functions/shared/alerts/alert';
import type { AlertChannel, ChannelScope, ChannelSecret } from '../../../functions/shared/alerts/channel';
import type { ChannelStore } from '../../../functions/shared/alerts/channel-store';
import {
  type DeliveryDeps,
  deliverAlert,
  type ParkedDelivery,
  type Post,
} from '../../../functions/shared/alerts/deliver-alert';
import type { DeliveryAttempt } from '../../../functions/shared/alerts/delivery-log';
import { alertMessage } from './alert-fixtures';

const SLACK_URL = 'https://hooks.slack.com/services/T0001/B0001/very-secret-token';

function channel(id: string, overrides: Partial<AlertChannel> = {}): AlertChannel {
  return {
    id,
    type: 'webhook',
    url: `https://receiver.example.com/${id}`,
    enabled: true,
    rateLimitPerMinute: 30,
    secretRef: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:x/${id}-abcdef`,
    secretManaged: true,
    updatedAt: '2026-11-27T12:00:00.000Z',
    ...overrides,
  };
}

const key = (scope: ChannelScope) => ('deployment' in scope ? 'DEPLOYMENT' : scope.org);

function harness(
  channels: Record<string, AlertChannel[]>,
  statuses: (number | Error | { status: number; retryAfter: string })[] = [],
  options: { rateLimited?: boolean; secret?: ChannelSecret } = {},
) {
  const log: DeliveryAttempt[] = [];
  const parked: ParkedDelivery[] = [];
  const posts: { url: string; headers: Record<string, string>; body: string }[] = [];
  const sleeps: number[] = [];
  const store: Pick<ChannelStore, 'list'> = {
    list: async (scope) => channels[key(scope)] ?? [],
  };
  const post: Post = async (url, init) => {
    posts.push({ url, headers: init.headers, body: init.body });
    const next = statuses.shift() ?? 200;
    if (next instanceof Error) throw next;
    if (typeof next === 'number') return new Response('', { status: next });
    return new Response('', { status: next.status, headers: { 'retry-after': next.retryAfter } });
  };
  const deps: DeliveryDeps = {
    channels: store,
    readSecret: async () =>
      options.secret ?? { signingSecrets: [`whsec_${Buffer.alloc(32, 1).toString('base64')}`] },
    post,
    log: { record: async (attempt) => void log.push(attempt), list: async () => ({ items: [] }) },
    rateLimit: { take: async () => !options.rateLimited },
    park: async (delivery) => void parked.push(delivery),
    now: () => new Date(),
    sleep: async (ms) => void sleeps.push(ms),
  };
  return { deps, log, parked, posts, sleeps };
}

describe('deliverAlert', () => {
  it('retries 5xx with backoff and delivers on the third attempt, logging each attempt', async () => {
    const h = harness({ acme: [channel('pager')] }, [503, 500]);
    const [result] = await deliverAlert(alertMessage(), h.deps);
    expect(result).toMatchObject({ channelId: 'pager', outcome: 'DELIVERED', attempts: 3 });
    expect(
      h.log.map(({ attempt, outcome, httpStatus, final }) => [attempt, outcome, httpStatus, final]),
    ).toEqual([
      [1, 'FAILED', 503, false],
      [2, 'FAILED', 500, false],
      [3, 'DELIVERED', 200, true],
    ]);
    expect(h.sleeps).toHaveLength(2);
    expect(h.parked).toEqual([]);
    // One webhook-id for the delivery, a signature on every attempt.
    const ids = new Set(h.posts.map((p) => p.headers['webhook-id']));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(h.posts.every((p) => p.headers['webhook-signature']?.startsWith('v1,'))).toBe(true);
  });

  it('gives a redelivered message the same webhook-id, and another event or channel a new one', async () => {
    const idOf = async (message: AlertMessage, channelId = 'pager') => {
      const h = harness({ acme: [channel(channelId)] });
      await deliverAlert(message, h.deps);
      return h.posts[0]?.headers['webhook-id'];
    };
    const first = await idOf(alertMessage());
    expect(await idOf(alertMessage())).toBe(first);
    expect(await idOf(alertMessage({}, 'RESOLVED'))).not.toBe(first);
    expect(await idOf(alertMessage({ lastSeenAt: '2030-01-01T00:00:00.000Z' }, 'REMINDER'))).not.toBe(first);
    expect(await idOf(alertMessage(), 'other')).not.toBe(first);
  });

  it('parks a delivery whose three attempts all fail', async () => {
    const h = harness({ acme: [channel('pager')] }, [500, 502, 504]);
    const [result] = await deliverAlert(alertMessage(), h.deps);
    expect(result).toMatchObject({ outcome: 'FAILED', attempts: 3 });
    expect(h.log.at(-1)).toMatchObject({ attempt: 3, final: true, httpStatus: 504 });
    expect(h.parked).toEqual([
      expect.objectContaining({
        reason: 'FAILED',
        attempts: 3,
        lastError: 'HTTP 504',
        channel: expect.objectContaining({ id: 'pager' }),
      }),
    ]);
  });

  it('waits the Retry-After of a 429 when it is within bounds', async () => {
    const h = harness({ acme: [channel('pager')] }, [{ status: 429, retryAfter: '3' }]);
    const [result] = await deliverAlert(alertMessage(), h.deps);
    expect(result?.outcome).toBe('DELIVERED');
    expect(h.sleeps).toEqual([3000]);
  });

  it('parks at once a 429 that asks for longer than the bound, and a 4xx', async () => {
    const h = harness({ acme: [channel('slow')] }, [{ status: 429, retryAfter: '3600' }]);
    expect((await deliverAlert(alertMessage(), h.deps))[0]).toMatchObject({ outcome: 'FAILED', attempts: 1 });
    const g = harness({ acme: [channel('gone')] }, [410]);
    expect((await deliverAlert(alertMessage(), g.deps))[0]).toMatchObject({ outcome: 'FAILED', attempts: 1 });
    expect([...h.parked, ...g.parked]).toHaveLength(2);
  });

  it('times out a receiver that does not answer, and retries', async () => {
    const h = harness({ acme: [channel('hang')] });
    let calls = 0;
    const deps: DeliveryDeps = {
      ...h.deps,
      timeoutMs: 50,
      post: (_url, init) => {
        calls += 1;
        if (calls > 1) return Promise.resolve(new Response('', { status: 200 }));
        return new Promise((_resolve, reject) =>
          init.signal.addEventListener('abort', () => reject(init.signal.reason)),
        );
      },
    };
    const [result] = await deliverAlert(alertMessage(), deps);
    expect(result).toMatchObject({ outcome: 'DELIVERED', attempts: 2 });
    expect(h.log[0]).toMatchObject({ outcome: 'FAILED', error: expect.stringMatching(/^TimeoutError/) });
  });

  it('parks a rate-limited delivery without posting it', async () => {
    const h = harness({ acme: [channel('pager')] }, [], { rateLimited: true });
    const [result] = await deliverAlert(alertMessage(), h.deps);
    expect(result?.outcome).toBe('RATE_LIMITED');
    expect(h.posts).toEqual([]);
    expect(h.log).toEqual([expect.objectContaining({ outcome: 'RATE_LIMITED', final: true })]);
    expect(h.parked).toEqual([expect.objectContaining({ reason: 'RATE_LIMITED' })]);
  });

  it('posts Block Kit to a Slack channel and keeps its URL out of the log and the DLQ', async () => {
    // A network library naming the URL in its error (a Slack URL's path is its token).
    const leak = () => Object.assign(new Error(`no answer from ${SLACK_URL}`), { name: 'TimeoutError' });
    const h = harness(
      { acme: [channel('slack', { type: 'slack', url: undefined })] },
      [leak(), leak(), leak()],
      {
        secret: { webhookUrl: SLACK_URL },
      },
    );
    await deliverAlert(alertMessage(), h.deps);
    expect(h.posts[0]?.url).toBe(SLACK_URL);
    expect(JSON.parse(h.posts[0]?.body ?? '{}').blocks[0].type).toBe('header');
    expect(h.posts[0]?.headers).not.toHaveProperty('webhook-signature');
    const recorded = JSON.stringify([h.log, h.parked]);
    expect(recorded).not.toContain('very-secret-token');
    expect(recorded).toContain('TimeoutError: no answer from [redacted]');
    expect(h.log).toHaveLength(3);
  });

  it("sends an organization's alert to its channels and the deployment's, filtered by severity, kind and enabled", async () => {
    const h = harness({
      acme: [
        channel('all'),
        channel('warnings-only', { severities: ['WARNING'] }),
        channel('dead-workers', { kinds: ['WORKER_DEAD'] }),
        channel('off', { enabled: false }),
      ],
      other: [channel('other-org')],
      DEPLOYMENT: [channel('ops')],
    });
    const results = await deliverAlert(alertMessage(), h.deps);
    expect(results.map((r) => r.channelId).sort()).toEqual(['all', 'ops']);
    expect(h.log.find((a) => a.channelId === 'ops')?.channelScope).toBe('deployment');
  });

  it('sends an alert of no organization to the deployment channels only', async () => {
    const h = harness({ acme: [channel('all')], DEPLOYMENT: [channel('ops')] });
    const results = await deliverAlert(
      alertMessage({ org: undefined, kind: 'DLQ_NOT_EMPTY', severity: 'WARNING' }),
      h.deps,
    );
    expect(results.map((r) => r.channelId)).toEqual(['ops']);
  });
});
