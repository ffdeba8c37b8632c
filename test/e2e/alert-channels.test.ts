// The alert channel routes over HTTP: a scope's channels are replaced as a whole, secrets are accepted but
// never returned (only a reference), an omitted secret is kept, organizations never see each other's
// channels, and bad input is a 400 naming the field. The channels here take only a kind no organization's
// alert has and are removed afterwards, so no other test's alert is sent to them. Concurrent changes of a
// scope do not interleave: one goes through at a time, the others are a 409. Deployment-wide
// channels are tested in alert-delivery.test.ts (one file, so two tests never replace them at once).
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { api, request } from './http-client';

const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

interface ChannelsReply {
  org?: string;
  scope?: string;
  channels: { id: string; type: string; url?: string; secret: { ref: string; configured: boolean } }[];
}

// Organizations' alerts are never CloudWatch alarms (those have no org): these channels receive nothing.
const NONE = ['CLOUDWATCH_ALARM'];

describe('alert channels', () => {
  afterAll(async () => {
    await request('PUT', '/admin/alert-channels', { channels: [] });
  });

  it('stores channels with their secrets by reference, never echoing a secret', async () => {
    const slackUrl = 'https://hooks.slack.com/services/T000/B000/e2e-very-secret-token';
    const signing = newSecret();
    const put = await request<ChannelsReply>('PUT', '/admin/alert-channels', {
      channels: [
        {
          id: 'secret-slack',
          type: 'slack',
          name: 'On call',
          webhookUrl: slackUrl,
          kinds: NONE,
          severities: ['CRITICAL'],
        },
        {
          id: 'secret-hook',
          type: 'webhook',
          url: 'https://example.com/hooks/stepwise',
          signingSecrets: [signing],
          kinds: NONE,
        },
      ],
    });
    expect(put.status).toBe(200);
    const got = await request<ChannelsReply>('GET', '/admin/alert-channels');
    for (const reply of [put, got]) {
      const text = JSON.stringify(reply.body);
      expect(text).not.toContain('e2e-very-secret-token');
      expect(text).not.toContain(signing.slice('whsec_'.length, 20));
      // Listed by id.
      expect(reply.body.channels).toEqual([
        expect.objectContaining({
          id: 'secret-hook',
          url: 'https://example.com/hooks/stepwise',
          secret: expect.objectContaining({ configured: true }),
        }),
        expect.objectContaining({
          id: 'secret-slack',
          type: 'slack',
          secret: { ref: expect.stringMatching(/^arn:aws:secretsmanager:/), configured: true },
        }),
      ]);
    }

    // Omitting the secret keeps it: the reference stays the same.
    const again = await request<ChannelsReply>('PUT', '/admin/alert-channels', {
      channels: [{ id: 'secret-slack', type: 'slack', name: 'On call (renamed)' }],
    });
    expect(again.status).toBe(200);
    expect(again.body.channels).toEqual([
      expect.objectContaining({
        id: 'secret-slack',
        name: 'On call (renamed)',
        secret: put.body.channels[1]?.secret,
      }),
    ]);
  });

  it("lets one change of a scope's channels through at a time: the rest are a 409, the result never a mix", async () => {
    const lists = Array.from({ length: 6 }, (_, i) => [
      {
        id: `race-${i}-a`,
        type: 'webhook',
        url: `https://example.com/race/${i}`,
        signingSecrets: [newSecret()],
        kinds: NONE,
      },
      {
        id: `race-${i}-b`,
        type: 'webhook',
        url: `https://example.com/race/${i}/b`,
        signingSecrets: [newSecret()],
        kinds: NONE,
      },
    ]);
    const replies = await Promise.all(
      lists.map((channels) => request<ChannelsReply>('PUT', '/admin/alert-channels', { channels })),
    );
    expect(replies.map((reply) => reply.status).every((status) => status === 200 || status === 409)).toBe(
      true,
    );
    const applied = replies.filter((reply) => reply.status === 200);
    expect(applied.length).toBeGreaterThanOrEqual(1);
    for (const refused of replies.filter((reply) => reply.status === 409)) {
      expect(refused.body).toMatchObject({ error: 'Conflict', details: [{ field: 'channels' }] });
    }
    // What is stored is the whole list of one change that got through, each channel with its secret.
    const got = await request<ChannelsReply>('GET', '/admin/alert-channels');
    const ids = got.body.channels.map((channel) => channel.id);
    expect(applied.map((reply) => reply.body.channels.map((channel) => channel.id))).toContainEqual(ids);
    expect(got.body.channels.every((channel) => channel.secret.configured)).toBe(true);
    // Held only while a change runs: the next one goes through.
    const after = await request<ChannelsReply>('PUT', '/admin/alert-channels', { channels: [] });
    expect(after.status).toBe(200);
  });

  it.skipIf(!api.otherOrgApiKey)("never shows an organization another organization's channels", async () => {
    const other = { apiKey: api.otherOrgApiKey ?? null };
    await request('PUT', '/admin/alert-channels', {
      channels: [
        {
          id: 'mine-only',
          type: 'webhook',
          url: 'https://example.com/mine',
          signingSecrets: [newSecret()],
          kinds: NONE,
        },
      ],
    });
    const mine = await request<ChannelsReply>('GET', '/admin/alert-channels');
    const theirs = await request<ChannelsReply>('GET', '/admin/alert-channels', undefined, other);
    expect(theirs.status).toBe(200);
    expect(theirs.body.org).not.toBe(mine.body.org);
    expect(theirs.body.channels.map((channel) => channel.id)).not.toContain('mine-only');
    const named = await request(
      'GET',
      `/admin/alert-channels?org=${encodeURIComponent(mine.body.org ?? '')}`,
      undefined,
      other,
    );
    expect(named.status).toBe(403);
    const deployment = await request(
      'PUT',
      '/admin/alert-channels?scope=deployment',
      { channels: [] },
      other,
    );
    expect(deployment.status).toBe(403);
  });

  it.skipIf(!api.operatorApiKey)("lets operators read an organization's channels by naming it", async () => {
    const operator = { apiKey: api.operatorApiKey ?? null };
    await request('PUT', '/admin/alert-channels', {
      channels: [
        {
          id: 'named',
          type: 'webhook',
          url: 'https://example.com/named',
          signingSecrets: [newSecret()],
          kinds: NONE,
        },
      ],
    });
    const { body: own } = await request<ChannelsReply>('GET', '/admin/alert-channels');
    const named = await request<ChannelsReply>(
      'GET',
      `/admin/alert-channels?org=${encodeURIComponent(own.org ?? '')}`,
      undefined,
      operator,
    );
    expect(named.status).toBe(200);
    expect(named.body).toMatchObject({ org: own.org, channels: [expect.objectContaining({ id: 'named' })] });
    for (const query of ['', `?org=${encodeURIComponent(own.org ?? '')}&scope=deployment`]) {
      const reply = await request('GET', `/admin/alert-channels${query}`, undefined, operator);
      expect(reply.status).toBe(400);
      expect(reply.body).toMatchObject({ details: [expect.objectContaining({ field: 'org' })] });
    }
  });

  it.each([
    [
      {
        channels: [
          { id: 'Bad Id', type: 'webhook', url: 'https://example.com', signingSecrets: [newSecret()] },
        ],
      },
      'channels.0.id',
    ],
    [{ channels: [{ id: 'x', type: 'email' }] }, 'channels.0.type'],
    [{ channels: [{ id: 'x', type: 'webhook', signingSecrets: [newSecret()] }] }, 'channels.0.url'],
    [
      {
        channels: [
          { id: 'x', type: 'webhook', url: 'https://example.com', signingSecrets: ['not-a-secret'] },
        ],
      },
      'channels.0.signingSecrets.0',
    ],
    [
      {
        channels: [{ id: 'x', type: 'slack', webhookUrl: 'https://hooks.slack.com/x', severities: ['LOUD'] }],
      },
      'channels.0.severities.0',
    ],
    [{ channels: [{ id: 'new-slack', type: 'slack' }] }, 'channels.0.webhookUrl'],
    [
      {
        channels: [
          { id: 'x', type: 'webhook', url: 'http://169.254.169.254/latest', signingSecrets: [newSecret()] },
        ],
      },
      'channels.0.url',
    ],
    [
      { channels: [{ id: 'x', type: 'slack', webhookUrl: 'http://127.0.0.1:9/hook' }] },
      'channels.0.webhookUrl',
    ],
    [
      {
        channels: [
          {
            id: 'x',
            type: 'webhook',
            url: 'https://example.com',
            signingSecrets: [newSecret()],
            rateLimitPerMinute: 0,
          },
        ],
      },
      'channels.0.rateLimitPerMinute',
    ],
    [{ channels: [{ id: 'x', type: 'slack', webhookUrl: 'not a url' }] }, 'channels.0.webhookUrl'],
    [
      {
        channels: [
          { id: 'x', type: 'webhook', url: 'https://user:pw@example.com/', signingSecrets: [newSecret()] },
        ],
      },
      'channels.0.url',
    ],
    [{ channels: [], extra: true }, 'extra'],
  ])('refuses %j with a 400 naming %s', async (body, field) => {
    const reply = await request<{ details: { field: string }[] }>('PUT', '/admin/alert-channels', body);
    expect(reply.status).toBe(400);
    expect(reply.body.details.map((detail) => detail.field)).toContain(field);
  });
});
