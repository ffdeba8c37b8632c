// Standard Webhooks signing (https://www.standardwebhooks.com): `webhook-id`, `webhook-timestamp` (epoch
// seconds) and `webhook-signature`, one `v1,<base64 HMAC-SHA256 of id.timestamp.body>` per secret,
// space-separated, so a receiver verifies during a rotation with either the old or the new secret. The
// maintained `standardwebhooks` package computes each signature, the same code receivers verify with.
import { Webhook } from 'standardwebhooks';

export interface SignedHeaders {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
}

export function signWebhook(
  secrets: readonly string[],
  messageId: string,
  timestamp: Date,
  body: string,
): SignedHeaders {
  // The package signs at whole seconds, as the header carries them.
  const seconds = Math.floor(timestamp.getTime() / 1000);
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(seconds),
    'webhook-signature': secrets
      .map((secret) => new Webhook(secret).sign(messageId, new Date(seconds * 1000), body))
      .join(' '),
  };
}
