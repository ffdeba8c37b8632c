import { describe, expect, it } from 'vitest';
import type { AlertChannel } from '../../../functions/shared/alerts/channel';
import { channelSecretReader } from '../../../functions/shared/alerts/channel-secrets';

const channel = (type: AlertChannel['type'], secretRef: string): AlertChannel => ({
  id: 'ops',
  type,
  enabled: true,
  rateLimitPerMinute: 30,
  secretRef,
  secretManaged: true,
  updatedAt: '2026-11-27T12:00:00.000Z',
});

describe('channel secret reader', () => {
  it("reads the channel's secret by its ARN, kept for the given age", async () => {
    const reads: [string, number][] = [];
    const read = channelSecretReader(
      {
        get: async (name, { maxAge }) => {
          reads.push([name, maxAge]);
          return JSON.stringify({ webhookUrl: 'https://hooks.slack.com/services/T/B/x' });
        },
      },
      30,
    );
    expect(await read(channel('slack', 'arn:slack'))).toEqual({
      webhookUrl: 'https://hooks.slack.com/services/T/B/x',
    });
    expect(reads).toEqual([['arn:slack', 30]]);
  });

  it('refuses a secret with no string value by name', async () => {
    const read = channelSecretReader({ get: async () => new Uint8Array([1, 2]) }, 30);
    await expect(read(channel('webhook', 'arn:binary'))).rejects.toMatchObject({
      name: 'ChannelSecretUnreadable',
    });
  });
});
