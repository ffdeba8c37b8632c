// Delivering one alert notification to every channel that takes it: the organization's channels and the
// deployment's (an alert of no organization: the deployment's only). Each channel is delivered on its
// own: its rate limit, its secret, up to DELIVERY_ATTEMPTS attempts of DELIVERY_TIMEOUT_MS each with
// backoff (5xx, 408, timeouts and network errors are retried; a 429 too, after its Retry-After when that
// is within bounds), every attempt in the delivery log, and a delivery that fails or is rate limited
// parked in the alert-deliveries DLQ with what is needed to send it again (never the secret).
import { createHash } from 'node:crypto';
import {
  isRetryableStatus,
  isTransientFetchError,
  parseRetryAfter,
  retryWithBackoff,
  type Sleep,
} from '../retry/retry-with-backoff';
import type { AlertMessage } from './alert';
import {
  type AlertChannel,
  type ChannelScope,
  type ChannelSecret,
  channelAccepts,
  isDeploymentScope,
} from './channel';
import type { ChannelRateLimiter } from './channel-rate-limit';
import type { ChannelStore } from './channel-store';
import type { DeliveryAttempt, DeliveryLog, DeliveryOutcome } from './delivery-log';
import { slackMessage } from './slack-message';
import { signWebhook } from './webhook-signature';

type ChannelReader = Pick<ChannelStore, 'list'>;

/**
 * The `webhook-id` of a delivery: derived from the alert's update and the channel, so each attempt and a
 * redelivery of the same SNS message (Lambda's retries of the notifier) carry the same id, which a
 * receiver deduplicates on, while a new event or a reminder of the alert gets a new one.
 */
function webhookIdOf({ event, alert }: AlertMessage, channelKey: string): string {
  const digest = createHash('sha256').update(`${alert.id}|${event}|${alert.lastSeenAt}|${channelKey}`);
  return `msg_${digest.digest('hex').slice(0, 32)}`;
}
export const DELIVERY_ATTEMPTS = 3;
export const DELIVERY_TIMEOUT_MS = 5_000;

/** An HTTP POST through the outbound guard (guardedFetch with the deployment's allowlist). */
export type Post = (
  url: string,
  init: { headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<Response>;

/** What the DLQ holds for a delivery given up on: enough to resend it, no secret. */
export interface ParkedDelivery {
  readonly reason: 'FAILED' | 'RATE_LIMITED';
  readonly channel: { readonly id: string; readonly scope: ChannelScope; readonly type: string };
  readonly attempts: number;
  readonly lastError?: string;
  readonly message: AlertMessage;
  readonly parkedAt: string;
}

export interface DeliveryDeps {
  /** Delivery only reads the channels. */
  readonly channels: ChannelReader;
  readonly readSecret: (channel: AlertChannel) => Promise<ChannelSecret>;
  readonly post: Post;
  readonly log: DeliveryLog;
  readonly rateLimit: ChannelRateLimiter;
  readonly park: (parked: ParkedDelivery) => Promise<void>;
  readonly now: () => Date;
  /** @default 1000 (then doubled, full jitter) */
  readonly baseDelayMs?: number;
  /** A Retry-After longer than this is not waited for: the delivery is parked. @default 10000 */
  readonly maxRetryAfterMs?: number;
  /** @default DELIVERY_TIMEOUT_MS */
  readonly timeoutMs?: number;
  readonly sleep?: Sleep;
}

export interface ChannelDelivery {
  readonly channelId: string;
  readonly scope: ChannelScope;
  readonly outcome: DeliveryOutcome;
  readonly attempts: number;
}

/** An attempt's result: the receiver's status, or the error that stopped it. */
type Attempted = { readonly status: number; readonly retryAfterMs?: number } | { readonly error: Error };

/** The channels an alert goes to: the org's (if it has one) and the deployment's, filtered. */
export async function channelsFor(
  message: AlertMessage,
  channels: ChannelReader,
): Promise<{ scope: ChannelScope; channel: AlertChannel }[]> {
  const { org, severity, kind } = message.alert;
  const scopes: ChannelScope[] = org ? [{ org }, { deployment: true }] : [{ deployment: true }];
  const lists = await Promise.all(scopes.map((scope) => channels.list(scope)));
  return scopes.flatMap((scope, index) =>
    (lists[index] ?? [])
      .filter((channel) => channelAccepts(channel, severity, kind))
      .map((channel) => ({ scope, channel })),
  );
}

export async function deliverAlert(message: AlertMessage, deps: DeliveryDeps): Promise<ChannelDelivery[]> {
  const targets = await channelsFor(message, deps.channels);
  return Promise.all(targets.map(({ scope, channel }) => deliverToChannel(message, scope, channel, deps)));
}

const errorText = (error: Error) => `${error.name}: ${error.message}`;

/**
 * Removes every form of a secret URL from an error message (a Slack webhook URL's path is its token):
 * whatever a network library puts in an error, the log and DLQ never hold it.
 */
function redact(text: string, secretUrl: string | undefined): string {
  if (!secretUrl) return text;
  const url = new URL(secretUrl);
  const forms = [secretUrl, url.href, `${url.origin}${url.pathname}`, url.pathname, url.search].filter(
    (form) => form.length > 1,
  );
  return forms.reduce((result, form) => result.split(form).join('[redacted]'), text);
}

async function deliverToChannel(
  message: AlertMessage,
  scope: ChannelScope,
  channel: AlertChannel,
  deps: DeliveryDeps,
): Promise<ChannelDelivery> {
  const channelScope = isDeploymentScope(scope) ? 'deployment' : 'org';
  const base = {
    alertId: message.alert.id,
    event: message.event,
    channelId: channel.id,
    channelScope,
    channelType: channel.type,
  } as const;
  const record = (attempt: Omit<DeliveryAttempt, keyof typeof base>) =>
    deps.log.record({ ...base, ...attempt });
  const park = (reason: ParkedDelivery['reason'], attempts: number, lastError?: string) =>
    deps.park({
      reason,
      channel: { id: channel.id, scope, type: channel.type },
      attempts,
      ...(lastError && { lastError }),
      message,
      parkedAt: deps.now().toISOString(),
    });

  /** Gives up before any request: one final entry in the log, and the delivery parked. */
  const giveUp = async (
    outcome: ParkedDelivery['reason'],
    attempts: number,
    error: string,
  ): Promise<ChannelDelivery> => {
    await record({ attempt: 1, outcome, error, durationMs: 0, at: deps.now().toISOString(), final: true });
    await park(outcome, attempts, error);
    return { channelId: channel.id, scope, outcome, attempts };
  };

  const rateKey = `${isDeploymentScope(scope) ? 'DEPLOYMENT' : scope.org}#${channel.id}`;
  if (!(await deps.rateLimit.take(rateKey, channel.rateLimitPerMinute, deps.now()))) {
    return giveUp(
      'RATE_LIMITED',
      0,
      `RateLimited: more than ${channel.rateLimitPerMinute} deliveries this minute`,
    );
  }

  let secret: ChannelSecret;
  try {
    secret = await deps.readSecret(channel);
  } catch (cause) {
    return giveUp('FAILED', 1, errorText(cause instanceof Error ? cause : new Error(String(cause))));
  }

  const secretUrl = 'webhookUrl' in secret ? secret.webhookUrl : undefined;
  const url = secretUrl ?? channel.url ?? '';
  const body = JSON.stringify('webhookUrl' in secret ? slackMessage(message) : message);
  const messageId = webhookIdOf(message, rateKey);
  const timeoutMs = deps.timeoutMs ?? DELIVERY_TIMEOUT_MS;
  const maxRetryAfterMs = deps.maxRetryAfterMs ?? 10_000;
  const isRetryable = (attempted: Attempted) =>
    'error' in attempted
      ? isTransientFetchError(attempted.error)
      : isRetryableStatus(attempted.status) && (attempted.retryAfterMs ?? 0) <= maxRetryAfterMs;

  const attempt = async (number: number): Promise<Attempted> => {
    const startedAt = deps.now();
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      ...('signingSecrets' in secret && signWebhook(secret.signingSecrets, messageId, startedAt, body)),
    };
    let attempted: Attempted;
    try {
      const response = await deps.post(url, { headers, body, signal: AbortSignal.timeout(timeoutMs) });
      await response.body?.cancel();
      const retryAfterMs =
        response.status === 429
          ? parseRetryAfter(response.headers.get('retry-after'), Date.now())
          : undefined;
      attempted = { status: response.status, ...(retryAfterMs !== undefined && { retryAfterMs }) };
    } catch (error) {
      attempted = { error: error instanceof Error ? error : new Error(String(error)) };
    }
    const delivered = !('error' in attempted) && attempted.status >= 200 && attempted.status < 300;
    const final = delivered || number === DELIVERY_ATTEMPTS || !isRetryable(attempted);
    await record({
      attempt: number,
      outcome: delivered ? 'DELIVERED' : 'FAILED',
      ...('status' in attempted && { httpStatus: attempted.status }),
      ...('error' in attempted && { error: redact(errorText(attempted.error), secretUrl) }),
      durationMs: deps.now().getTime() - startedAt.getTime(),
      at: startedAt.toISOString(),
      final,
    });
    return attempted;
  };

  const { value: last, attempts } = await retryWithBackoff(attempt, {
    maxRetries: DELIVERY_ATTEMPTS - 1,
    baseDelayMs: deps.baseDelayMs ?? 1_000,
    maxDelayMs: maxRetryAfterMs,
    isRetryable: (outcome) => outcome.ok && isRetryable(outcome.value),
    retryAfterMs: (outcome) =>
      outcome.ok && 'retryAfterMs' in outcome.value ? outcome.value.retryAfterMs : undefined,
    ...(deps.sleep && { sleep: deps.sleep }),
  });
  if (!('error' in last) && last.status >= 200 && last.status < 300) {
    return { channelId: channel.id, scope, outcome: 'DELIVERED', attempts };
  }
  const lastError = 'error' in last ? redact(errorText(last.error), secretUrl) : `HTTP ${last.status}`;
  await park('FAILED', attempts, lastError);
  return { channelId: channel.id, scope, outcome: 'FAILED', attempts };
}
