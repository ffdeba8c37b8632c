// PUT /admin/alert-channels: replaces a scope's channels with the list given. New secrets go to Secrets
// Manager first (so no stored channel ever points at a secret that is not there), then the channels are
// written and the ones left out removed, with the secrets stepwise created for them. A channel given
// without a secret keeps the one it has; a new channel must bring one (the secret or a secretRef). A change
// holds its scope while it runs: two that interleaved left a mix of both lists, and could leave a channel
// kept by one pointing at the secret the other deleted. The second is a 409, to send again.
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { AllowedHost } from '../actions/outbound/allowed-hosts';
import { isAllowedHost } from '../actions/outbound/allowed-hosts';
import { refusalReason } from '../actions/outbound/refused-addresses';
import { ConflictError, type ErrorDetail, ValidationError } from '../http/errors';
import { type AlertChannel, type ChannelScope, serializeSecret } from './channel';
import { type ChannelInput, secretOfInput } from './channel-input';
import { type ChannelSecretWriter, channelSecretName, secretNameOfArn } from './channel-secrets';
import type { ChannelStore } from './channel-store';

export interface ChannelConfigDeps {
  readonly store: ChannelStore;
  readonly secrets: ChannelSecretWriter;
  /** The deployment's secret name prefix (ALERT_SECRET_PREFIX). */
  readonly secretPrefix: string;
  /** Hosts channel URLs may name although they are loopback or private (OUTBOUND_ALLOWED_HOSTS). */
  readonly allowedHosts: readonly AllowedHost[];
  readonly now: () => Date;
}

/**
 * Why a URL may not be a channel's endpoint: an address the outbound guard refuses, named literally or as
 * `localhost`. Names that resolve to such addresses are refused by the guard when delivering.
 */
function urlRefusal(value: string, allowedHosts: readonly AllowedHost[]): string | undefined {
  const url = new URL(value);
  if (isAllowedHost(url, allowedHosts)) return undefined;
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return 'loopback address';
  return isIP(hostname) ? refusalReason(hostname) : undefined;
}

function checkInputs(
  scope: ChannelScope,
  inputs: readonly ChannelInput[],
  existing: ReadonlyMap<string, AlertChannel>,
  deps: ChannelConfigDeps,
): void {
  const details: ErrorDetail[] = [];
  const problem = (index: number, field: string, message: string) => {
    const path = `channels.${index}.${field}`;
    details.push({ field: path, message: `${path}: ${message}` });
  };
  // The names this scope's secrets get (channelSecretName with an empty id), and every scope's.
  const ownScopePrefix = channelSecretName(deps.secretPrefix, scope, '');
  const managedPrefix = `${deps.secretPrefix}/alert-channels/`;
  // A name under the managed prefix must be in the caller's scope, exactly: a case variant or an empty or
  // dot segment names no secret of its own here, and only the check of the text stands between scopes.
  const ownsSecretName = (name: string) =>
    !name.toLowerCase().replace(/\/+/g, '/').startsWith(managedPrefix.toLowerCase()) ||
    (name.startsWith(ownScopePrefix) && !/\/\/|(^|\/)\.\.?(\/|$)/.test(name));
  inputs.forEach((input, index) => {
    for (const field of ['url', 'webhookUrl'] as const) {
      const value = input[field];
      const refusal = value === undefined ? undefined : urlRefusal(value, deps.allowedHosts);
      if (refusal) {
        problem(
          index,
          field,
          `refused by the outbound guard (${refusal}); only OUTBOUND_ALLOWED_HOSTS may name such hosts`,
        );
      }
    }
    if (input.secretRef !== undefined && !ownsSecretName(secretNameOfArn(input.secretRef))) {
      problem(index, 'secretRef', "names another scope's channel secret");
    }
    const previous = existing.get(input.id);
    const hasSecret = secretOfInput(input) !== undefined || input.secretRef !== undefined;
    if (!hasSecret && previous?.type !== input.type) {
      const field = input.type === 'slack' ? 'webhookUrl' : 'signingSecrets';
      problem(index, field, `is required for a new ${input.type} channel (or give secretRef)`);
    }
  });
  if (details.length > 0) throw new ValidationError(`Invalid body: ${details[0]?.message}`, details);
}

/** How long a change may hold its scope: past the API's 30 s, so a change that died frees it soon after. */
const CHANGE_HOLD_MS = 60_000;

export async function replaceChannels(
  scope: ChannelScope,
  inputs: readonly ChannelInput[],
  deps: ChannelConfigDeps,
): Promise<AlertChannel[]> {
  const holder = randomUUID();
  const nowMs = deps.now().getTime();
  if (!(await deps.store.claimChange(scope, holder, nowMs, nowMs + CHANGE_HOLD_MS))) {
    throw new ConflictError(
      'Another change of these alert channels is under way: send this one again once it has ended (a minute at most)',
      [{ field: 'channels', rule: 'changing', message: 'another change of these channels is under way' }],
    );
  }
  try {
    return await replaceHeld(scope, inputs, deps);
  } finally {
    // A release that fails (the table unreachable just now) leaves the hold to expire: the change itself
    // was made, so its answer stands.
    await deps.store.releaseChange(scope, holder).catch(() => undefined);
  }
}

async function replaceHeld(
  scope: ChannelScope,
  inputs: readonly ChannelInput[],
  deps: ChannelConfigDeps,
): Promise<AlertChannel[]> {
  const existing = new Map((await deps.store.list(scope)).map((channel) => [channel.id, channel]));
  checkInputs(scope, inputs, existing, deps);
  const updatedAt = deps.now().toISOString();
  const channels: AlertChannel[] = [];
  for (const input of inputs) {
    const previous = existing.get(input.id);
    const secret = secretOfInput(input);
    let secretRef: string;
    let secretManaged: boolean;
    if (secret) {
      secretRef = await deps.secrets.write(
        channelSecretName(deps.secretPrefix, scope, input.id),
        serializeSecret(secret),
      );
      secretManaged = true;
    } else if (input.secretRef !== undefined) {
      secretRef = input.secretRef;
      secretManaged = false;
    } else {
      // checkInputs made sure there is a previous channel of the same type.
      secretRef = (previous as AlertChannel).secretRef;
      secretManaged = (previous as AlertChannel).secretManaged;
    }
    channels.push({
      id: input.id,
      type: input.type,
      ...(input.name !== undefined && { name: input.name }),
      ...(input.url !== undefined && { url: input.url }),
      ...(input.severities !== undefined && { severities: input.severities }),
      ...(input.kinds !== undefined && { kinds: input.kinds }),
      enabled: input.enabled,
      rateLimitPerMinute: input.rateLimitPerMinute,
      secretRef,
      secretManaged,
      updatedAt,
    });
  }
  for (const channel of channels) await deps.store.put(scope, channel);
  const kept = new Set(channels.map((channel) => channel.secretRef));
  for (const previous of existing.values()) {
    if (!channels.some((channel) => channel.id === previous.id)) await deps.store.remove(scope, previous.id);
    if (previous.secretManaged && !kept.has(previous.secretRef))
      await deps.secrets.delete(previous.secretRef);
  }
  // As GET lists them (by id), so a PUT answers with what a GET would.
  return channels.sort((a, b) => (a.id < b.id ? -1 : 1));
}
