// The WebSocket protocol `stepwise.v1`: what a client may send (subscribe, unsubscribe, ping) and what the
// server answers. Every message a client can send is parsed here; a bad one is an `error` message naming
// the field, never a failed invocation.

import { isOrgId, OPERATOR_ORG_ID, ORG_ID_RULE } from '../auth/identity';
import { shownIssue } from '../http/shown-text';
import * as z from '../zod-mini';
import type { LiveEvent, LiveTopic } from './live-event';
import { LIVE_TOPICS } from './live-event';

/** The subprotocol a client offers and the $connect answer selects. */
export const LIVE_PROTOCOL = 'stepwise.v1';
/** The prefix of the subprotocol that carries the credential: `bearer.<base64url(credential)>`. */
export const BEARER_PROTOCOL_PREFIX = 'bearer.';

const MAX_ID_LENGTH = 128;
const Id = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(MAX_ID_LENGTH),
    z.regex(/^[^\p{Cc}\p{Cf}\s]+$/u, 'must have no spaces, control or formatting characters'),
  );

const Subscription = z
  .strictObject({
    action: z.enum(['subscribe', 'unsubscribe']),
    topic: z.enum(LIVE_TOPICS),
    taskId: z.optional(Id),
    /** Operators only: an org id, or '*' for every org. */
    org: z.optional(
      Id.check(
        z.refine(
          (org) => org === OPERATOR_ORG_ID || isOrgId(org),
          `must be an organization id (${ORG_ID_RULE}) or ${OPERATOR_ORG_ID}`,
        ),
      ),
    ),
  })
  .check(
    z.superRefine((message, context) => {
      if (message.topic === 'task' && message.taskId === undefined) {
        context.addIssue({ code: 'custom', path: ['taskId'], message: 'is required for topic task' });
      }
      if (message.topic !== 'task' && message.taskId !== undefined) {
        context.addIssue({ code: 'custom', path: ['taskId'], message: 'is only for topic task' });
      }
      if (message.topic === 'task' && message.org !== undefined) {
        context.addIssue({
          code: 'custom',
          path: ['org'],
          message: 'is not for topic task (the task names it)',
        });
      }
    }),
  );

const Ping = z.strictObject({ action: z.literal('ping') });

export type SubscriptionMessage = z.infer<typeof Subscription>;
export type ClientMessage = SubscriptionMessage | z.infer<typeof Ping>;

export interface SubscriptionAck {
  readonly type: 'subscribed' | 'unsubscribed';
  readonly topic: LiveTopic;
  readonly taskId?: string;
  readonly org?: string;
}

export interface ErrorMessage {
  readonly type: 'error';
  readonly message: string;
  readonly field?: string;
}

export type ServerMessage =
  | SubscriptionAck
  | { readonly type: 'pong' }
  | ErrorMessage
  | { readonly type: 'event'; readonly topic: LiveTopic; readonly event: LiveEvent };

export const errorMessage = (field: string | undefined, message: string): ErrorMessage => ({
  type: 'error',
  message: field ? `${field}: ${message}` : message,
  ...(field && { field }),
});

/** A client message, or the error to answer it with. */
export function parseClientMessage(body: string | undefined): ClientMessage | ErrorMessage {
  let value: unknown;
  try {
    value = JSON.parse(body ?? '');
  } catch {
    return errorMessage('body', 'is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return errorMessage('body', 'must be a JSON object with an action');
  }
  const { action } = value as { action?: unknown };
  if (action === 'ping') return firstIssue(Ping.safeParse(value));
  if (action === 'subscribe' || action === 'unsubscribe') return firstIssue(Subscription.safeParse(value));
  return errorMessage(
    'action',
    action === undefined
      ? 'is required (subscribe, unsubscribe or ping)'
      : 'must be subscribe, unsubscribe or ping',
  );
}

function firstIssue<T>(result: z.core.util.SafeParseResult<T>): T | ErrorMessage {
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) return errorMessage('body', 'is not a valid message');
  const { field, message } = shownIssue(issue);
  return errorMessage(field || 'body', message);
}

export const isErrorMessage = (value: ClientMessage | ErrorMessage): value is ErrorMessage =>
  'type' in value && value.type === 'error';

/** The org an operator's '*' means, in messages and acks. */
export const EVERY_ORG = OPERATOR_ORG_ID;
