// Alert channels: where the notifier sends an organization's alerts (or, at deployment scope, every
// organization's). A channel is public configuration plus one secret held in Secrets Manager by reference:
// a Slack incoming webhook's URL (which is itself the credential) or a webhook's signing secrets (several
// during a rotation). Requests carry the secret write-only; responses and logs only ever show its ARN.
import type { Severity } from '../resources';
import type { AlertKind } from './alert';

export const CHANNEL_TYPES = ['slack', 'webhook'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

/** A channel's scope: one organization's, or the deployment's (every organization's alerts, and those of none). */
export type ChannelScope = { readonly org: string } | { readonly deployment: true };

export const isDeploymentScope = (
  scope: ChannelScope,
): scope is Extract<ChannelScope, { deployment: true }> => 'deployment' in scope;

/** What the store keeps: the configuration and the secret's ARN, never the secret. */
export interface AlertChannel {
  readonly id: string;
  readonly type: ChannelType;
  readonly name?: string;
  /** The endpoint of a webhook channel (a Slack channel's URL is its secret). */
  readonly url?: string;
  /** Severities delivered; undefined: all. */
  readonly severities?: readonly Severity[];
  /** Alert kinds delivered; undefined: all. */
  readonly kinds?: readonly AlertKind[];
  readonly enabled: boolean;
  readonly rateLimitPerMinute: number;
  /** ARN of the Secrets Manager secret holding the Slack URL or the signing secrets. */
  readonly secretRef: string;
  /** Whether stepwise created that secret (and so deletes it with the channel), or the caller referenced it. */
  readonly secretManaged: boolean;
  readonly updatedAt: string;
}

/** What the notifier reads from a channel's secret. */
export type ChannelSecret = { readonly webhookUrl: string } | { readonly signingSecrets: readonly string[] };

export const DEFAULT_RATE_LIMIT_PER_MINUTE = 30;

/** `whsec_` and base64: the Standard Webhooks secret format. */
export const SIGNING_SECRET = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

export const isHttpUrl = (value: string): boolean =>
  URL.canParse(value) && ['http:', 'https:'].includes(new URL(value).protocol);

export const MAX_CHANNELS = 20;
export const MAX_SIGNING_SECRETS = 5;

/** A secret's stored text: JSON, so one reader serves both channel types. */
export const serializeSecret = (secret: ChannelSecret): string => JSON.stringify(secret);

export class ChannelSecretUnreadable extends Error {
  override name = 'ChannelSecretUnreadable';
}

/**
 * Reads a channel's secret text: the JSON stepwise writes, or, for a referenced secret, the plain Slack
 * URL or `whsec_` secret (space- or comma-separated for several).
 */
export function parseSecret(type: ChannelType, text: string): ChannelSecret {
  const trimmed = text.trim();
  let parsed: unknown;
  if (trimmed.startsWith('{')) {
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new ChannelSecretUnreadable('the secret is not valid JSON');
    }
  }
  if (type === 'slack') {
    const url = parsed ? (parsed as { webhookUrl?: unknown }).webhookUrl : trimmed;
    if (typeof url !== 'string' || !isHttpUrl(url)) {
      throw new ChannelSecretUnreadable('the secret holds no http(s) webhookUrl');
    }
    return { webhookUrl: url };
  }
  const secrets = parsed ? (parsed as { signingSecrets?: unknown }).signingSecrets : trimmed.split(/[\s,]+/);
  if (
    !Array.isArray(secrets) ||
    secrets.length === 0 ||
    !secrets.every((secret) => typeof secret === 'string' && SIGNING_SECRET.test(secret))
  ) {
    throw new ChannelSecretUnreadable('the secret holds no whsec_ signing secrets');
  }
  return { signingSecrets: secrets as string[] };
}

/** The response shape: configuration, and the secret only as a reference. */
export function channelView(channel: AlertChannel) {
  const { secretRef, secretManaged: _managed, ...config } = channel;
  return { ...config, secret: { ref: secretRef, configured: true } };
}

/** Whether a channel takes an alert of this severity and kind. */
export function channelAccepts(channel: AlertChannel, severity: Severity, kind: AlertKind): boolean {
  return (
    channel.enabled &&
    (channel.severities === undefined || channel.severities.includes(severity)) &&
    (channel.kinds === undefined || channel.kinds.includes(kind))
  );
}
