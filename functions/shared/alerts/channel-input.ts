// The body of PUT /admin/alert-channels, validated at the edge: one schema per channel (a slug id, the
// type's own fields, write-only secret fields) and the list (unique ids, at most MAX_CHANNELS). Kept apart
// from channel.ts so the notifier, which only reads stored channels, does not bundle zod.

import { printable } from '../http/free-text';
import * as z from '../zod-mini';
import { ALERT_KINDS, SEVERITIES } from './alert';
import {
  CHANNEL_TYPES,
  type ChannelSecret,
  DEFAULT_RATE_LIMIT_PER_MINUTE,
  isHttpUrl,
  MAX_CHANNELS,
  MAX_SIGNING_SECRETS,
  SIGNING_SECRET,
} from './channel';

/** Zod runs every check even after one failed: the credentials check parses only a URL that parses. */
const HttpUrl = z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' }).check(
  z.maxLength(2048, 'must be at most 2048 characters'),
  z.refine(
    (value) => !isHttpUrl(value) || (!new URL(value).username && !new URL(value).password),
    'must not carry credentials',
  ),
);

/** A Standard Webhooks secret: `whsec_` and base64 of 24 to 64 random bytes. */
const SigningSecret = z.string().check(
  z.regex(SIGNING_SECRET, 'must be whsec_ followed by base64'),
  z.refine((value) => {
    const bytes = Buffer.from(value.slice('whsec_'.length), 'base64').length;
    return bytes >= 24 && bytes <= 64;
  }, 'must hold 24 to 64 bytes of key (base64 after whsec_)'),
);

const SecretArn = z
  .string()
  .check(
    z.maxLength(2048),
    z.regex(
      /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/,
      'must be a Secrets Manager secret ARN',
    ),
  );

const unique = <T>(values: readonly T[]) => new Set(values).size === values.length;

/** One channel of a PUT body. Secret fields are write-only; omitting them keeps an existing channel's secret. */
export const ChannelInputSchema = z
  .strictObject({
    id: z
      .string()
      .check(
        z.regex(
          /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/,
          'must be a slug: a-z, 0-9 and -, at most 64 characters',
        ),
      ),
    type: z.enum(CHANNEL_TYPES),
    // A label people read (console, delivery log), as a workflow's or an API key's name: not blank, and no
    // control or format characters (a NUL, a bidi override such as U+202E showing another name).
    name: z.optional(
      z.string().check(z.minLength(1), z.maxLength(100), z.regex(/\S/, 'must not be blank'), printable()),
    ),
    url: z.optional(HttpUrl),
    severities: z.optional(
      z.array(z.enum(SEVERITIES)).check(z.minLength(1), z.refine(unique, 'must not repeat a severity')),
    ),
    kinds: z.optional(
      z.array(z.enum(ALERT_KINDS)).check(z.minLength(1), z.refine(unique, 'must not repeat a kind')),
    ),
    enabled: z._default(z.boolean(), true),
    rateLimitPerMinute: z._default(
      z.int().check(z.minimum(1), z.maximum(600)),
      DEFAULT_RATE_LIMIT_PER_MINUTE,
    ),
    webhookUrl: z.optional(HttpUrl),
    signingSecrets: z.optional(
      z
        .array(SigningSecret)
        .check(
          z.minLength(1),
          z.maxLength(MAX_SIGNING_SECRETS),
          z.refine(unique, 'must not repeat a secret'),
        ),
    ),
    secretRef: z.optional(SecretArn),
  })
  .check(
    z.superRefine((channel, context) => {
      const issue = (path: string, message: string) =>
        context.addIssue({ code: 'custom', path: [path], message });
      if (channel.type === 'slack') {
        if (channel.url !== undefined)
          issue('url', 'a slack channel has no url: its webhook URL is the secret webhookUrl');
        if (channel.signingSecrets !== undefined) issue('signingSecrets', 'only webhook channels are signed');
      } else {
        if (channel.url === undefined) issue('url', 'a webhook channel needs the url to post to');
        if (channel.webhookUrl !== undefined)
          issue('webhookUrl', 'only slack channels have a webhookUrl; use url');
      }
      const secrets = [channel.webhookUrl, channel.signingSecrets, channel.secretRef].filter(
        (v) => v !== undefined,
      );
      if (secrets.length > 1) {
        issue('secretRef', 'give either the secret itself or secretRef, not both');
      }
    }),
  );

export type ChannelInput = z.infer<typeof ChannelInputSchema>;

export const PutChannelsBodySchema = z.strictObject({
  channels: z.array(ChannelInputSchema).check(
    z.maxLength(MAX_CHANNELS),
    z.superRefine((channels, context) => {
      const seen = new Set<string>();
      channels.forEach((channel, index) => {
        if (seen.has(channel.id)) {
          context.addIssue({ code: 'custom', path: [index, 'id'], message: `repeats the id ${channel.id}` });
        }
        seen.add(channel.id);
      });
    }),
  ),
});

/** The secret a channel input writes, if it carries one. */
export function secretOfInput(input: ChannelInput): ChannelSecret | undefined {
  if (input.webhookUrl !== undefined) return { webhookUrl: input.webhookUrl };
  if (input.signingSecrets !== undefined) return { signingSecrets: input.signingSecrets };
  return undefined;
}
