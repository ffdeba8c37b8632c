// Replacing a scope's channels: secrets written by reference, kept when omitted, deleted with their
// channel; another scope's secrets and refused addresses are a 400 naming the field.
import { describe, expect, it } from 'vitest';
import { parseAllowedHosts } from '../../../functions/shared/actions/outbound/allowed-hosts';
import type { AlertChannel, ChannelScope } from '../../../functions/shared/alerts/channel';
import { type ChannelInput, PutChannelsBodySchema } from '../../../functions/shared/alerts/channel-input';
import type { ChannelStore } from '../../../functions/shared/alerts/channel-store';
import { type ChannelConfigDeps, replaceChannels } from '../../../functions/shared/alerts/configure-channels';

const ARN = (name: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${name}-AbC123`;
const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

function harness(allowedHosts = '') {
  const items = new Map<string, AlertChannel>();
  const secrets = new Map<string, string>();
  const deleted: string[] = [];
  const changes = new Map<string, { holder: string; untilMs: number }>();
  const scopeKey = (scope: ChannelScope) => ('deployment' in scope ? 'DEPLOYMENT' : scope.org);
  const store: ChannelStore = {
    list: async (scope) =>
      [...items]
        .filter(([k]) => k.startsWith(`${scopeKey(scope)}/`))
        .map(([, c]) => c)
        .sort((a, b) => (a.id < b.id ? -1 : 1)),
    put: async (scope, channel) => void items.set(`${scopeKey(scope)}/${channel.id}`, channel),
    remove: async (scope, id) => void items.delete(`${scopeKey(scope)}/${id}`),
    claimChange: async (scope, holder, nowMs, untilMs) => {
      const held = changes.get(scopeKey(scope));
      if (held && held.untilMs >= nowMs) return false;
      changes.set(scopeKey(scope), { holder, untilMs });
      return true;
    },
    releaseChange: async (scope, holder) => {
      if (changes.get(scopeKey(scope))?.holder === holder) changes.delete(scopeKey(scope));
    },
  };
  const deps: ChannelConfigDeps = {
    store,
    secrets: {
      write: async (name, text) => {
        secrets.set(ARN(name), text);
        return ARN(name);
      },
      delete: async (arn) => {
        deleted.push(arn);
        secrets.delete(arn);
      },
    },
    secretPrefix: 'stepwise/test',
    allowedHosts: parseAllowedHosts(allowedHosts),
    now: () => new Date('2026-11-27T12:00:00.000Z'),
  };
  return { deps, secrets, deleted, items, changes };
}

const inputs = (channels: unknown[]): ChannelInput[] => PutChannelsBodySchema.parse({ channels }).channels;
const acme = { org: 'acme' };

describe('replaceChannels', () => {
  it('stores each secret in Secrets Manager under the scope and keeps only its ARN', async () => {
    const h = harness();
    const [slack, hook] = await replaceChannels(
      acme,
      inputs([
        { id: 'ops', type: 'slack', webhookUrl: 'https://hooks.slack.com/services/T/B/token' },
        { id: 'pager', type: 'webhook', url: 'https://hooks.example.com/x', signingSecrets: [secret] },
      ]),
      h.deps,
    ).then((list) => [list.find((c) => c.id === 'ops'), list.find((c) => c.id === 'pager')]);
    expect(slack?.secretRef).toMatch(
      /secret:stepwise\/test\/alert-channels\/org\/acme-[0-9a-f]{10}\/ops-AbC123$/,
    );
    expect(h.secrets.get(slack?.secretRef ?? '')).toBe(
      '{"webhookUrl":"https://hooks.slack.com/services/T/B/token"}',
    );
    expect(h.secrets.get(hook?.secretRef ?? '')).toBe(JSON.stringify({ signingSecrets: [secret] }));
    expect(JSON.stringify([...h.items.values()])).not.toContain('token');
  });

  it('keeps the secret of a channel given without one, and deletes the secret of a removed channel', async () => {
    const h = harness();
    const first = await replaceChannels(
      acme,
      inputs([
        { id: 'ops', type: 'slack', webhookUrl: 'https://hooks.slack.com/a' },
        { id: 'old', type: 'slack', webhookUrl: 'https://hooks.slack.com/b' },
      ]),
      h.deps,
    );
    const oldRef = [...h.items.values()].find((c) => c.id === 'old')?.secretRef;
    const kept = await replaceChannels(acme, inputs([{ id: 'ops', type: 'slack', name: 'renamed' }]), h.deps);
    expect(kept).toEqual([
      expect.objectContaining({
        id: 'ops',
        name: 'renamed',
        secretRef: first.find((c) => c.id === 'ops')?.secretRef,
      }),
    ]);
    expect(h.deleted).toEqual([oldRef]);
    expect([...h.items.keys()]).toEqual(['acme/ops']);
  });

  it('refuses a new channel without a secret, naming the field', async () => {
    await expect(
      replaceChannels(
        acme,
        inputs([{ id: 'new', type: 'webhook', url: 'https://x.example.com/' }]),
        harness().deps,
      ),
    ).rejects.toMatchObject({
      statusCode: 400,
      details: [expect.objectContaining({ field: 'channels.0.signingSecrets' })],
    });
  });

  it("refuses a secretRef to another scope's channel secret, and any variant of such a name", async () => {
    for (const name of [
      'stepwise/test/alert-channels/org/globex-0123456789/ops',
      'stepwise/test//alert-channels/org/globex-0123456789/ops',
      'stepwise/test/Alert-Channels/org/globex-0123456789/ops',
      'stepwise/test/alert-channels/org/../org/globex-0123456789/ops',
    ]) {
      await expect(
        replaceChannels(acme, inputs([{ id: 'ops', type: 'slack', secretRef: ARN(name) }]), harness().deps),
        name,
      ).rejects.toMatchObject({
        details: [expect.objectContaining({ field: 'channels.0.secretRef' })],
      });
    }
  });

  it('refuses loopback, private and metadata URLs unless the deployment allows the host', async () => {
    const refused = inputs([
      { id: 'a', type: 'webhook', url: 'http://10.0.0.8/hook', signingSecrets: [secret] },
      { id: 'b', type: 'slack', webhookUrl: 'http://localhost:8080/hook' },
    ]);
    await expect(replaceChannels(acme, refused, harness().deps)).rejects.toMatchObject({
      details: [
        expect.objectContaining({
          field: 'channels.0.url',
          message: expect.stringContaining('private address'),
        }),
        expect.objectContaining({ field: 'channels.1.webhookUrl' }),
      ],
    });
    await expect(
      replaceChannels(acme, refused, harness('10.0.0.8, localhost:8080').deps),
    ).resolves.toHaveLength(2);
  });
});

describe('a channel URL', () => {
  it('over 2048 characters is refused for its length, not as "not an absolute URL"', () => {
    const url = (length: number) => `https://hooks.example.com/${'a'.repeat(length - 26)}`;
    const parse = (length: number) =>
      PutChannelsBodySchema.safeParse({ channels: [{ id: 'hook', type: 'webhook', url: url(length) }] });
    expect(parse(2048).success).toBe(true);
    expect(parse(2100).error?.issues.map((issue) => issue.message)).toEqual([
      'must be at most 2048 characters',
    ]);
    expect(
      PutChannelsBodySchema.safeParse({ channels: [{ id: 'hook', type: 'webhook', url: 'ftp://x' }] }).error
        ?.issues[0]?.message,
    ).toBe('must be an absolute http(s) URL');
  });
});

describe('PutChannelsBodySchema', () => {
  it('refuses a channel name that is blank or has control or format characters, naming the name', () => {
    for (const name of ['   ', 'ops\u0000', 'ops\u202Egnp', 'a\u200Bb', 'line\nbreak']) {
      const parsed = PutChannelsBodySchema.safeParse({ channels: [{ id: 'ops', type: 'slack', name }] });
      expect(parsed.success, JSON.stringify(name)).toBe(false);
      expect(parsed.error?.issues[0]?.path).toEqual(['channels', 0, 'name']);
    }
  });

  it('keeps a name with emoji and accents', () => {
    const parsed = PutChannelsBodySchema.safeParse({
      channels: [{ id: 'ops', type: 'slack', name: 'Équipe 🚨' }],
    });
    expect(parsed.success).toBe(true);
  });

  it('holds the scope while it changes: another change meanwhile is a 409; a hold past its time is taken over; an error releases it', async () => {
    const h = harness();
    const now = new Date('2026-11-27T12:00:00.000Z').getTime();
    const slack = inputs([
      { id: 'ops', type: 'slack', webhookUrl: 'https://hooks.slack.com/services/T/B/x' },
    ]);
    h.changes.set('acme', { holder: 'another request', untilMs: now + 30_000 });
    await expect(replaceChannels(acme, slack, h.deps)).rejects.toMatchObject({
      statusCode: 409,
      details: [{ field: 'channels', rule: 'changing' }],
    });
    expect(h.items.size).toBe(0);
    // Another scope is not held.
    await replaceChannels({ org: 'other' }, slack, h.deps);
    expect(h.changes.has('other')).toBe(false);

    // The holder died: its hold runs out and the next change goes through, then frees the scope.
    h.changes.set('acme', { holder: 'a dead request', untilMs: now - 1 });
    await replaceChannels(acme, slack, h.deps);
    expect([...h.items.keys()]).toContain('acme/ops');
    expect(h.changes.has('acme')).toBe(false);

    const failing = {
      ...h.deps,
      secrets: { ...h.deps.secrets, write: async () => Promise.reject(new Error('down')) },
    };
    await expect(replaceChannels(acme, slack, failing)).rejects.toThrow('down');
    expect(h.changes.has('acme')).toBe(false);
  });
});
