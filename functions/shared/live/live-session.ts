// What the WebSocket routes do, over a LiveStore: $connect records the connection with the identity the
// authorizer established, $disconnect deletes it and its subscriptions, and each message subscribes,
// unsubscribes or pings. Subscriptions are authorized here: an org user hears its own org only (a task of
// another org is "not found", as over HTTP); the workers and alerts topics need ADMIN, as their routes
// do; an OPERATOR names an org or '*' (every org, and the org-less workers and alerts).
import { hasAccess } from '../auth/authorize';
import { type Identity, isOperator } from '../auth/identity';
import type { Role } from '../resources';
import { type OrgTopic, taskPartition, topicPartition } from './live-event';
import { CREDENTIAL_EXPIRED, credentialExpired } from './live-expiry';
import {
  type ErrorMessage,
  EVERY_ORG,
  errorMessage,
  isErrorMessage,
  parseClientMessage,
  type ServerMessage,
  type SubscriptionAck,
  type SubscriptionMessage,
} from './live-messages';
import { CONNECTION_TTL_SECONDS, type LiveStore } from './live-store';

export interface LiveSessionDeps {
  readonly store: LiveStore;
  /** The org of a task, or undefined when there is no such task. */
  readonly taskOrg: (taskId: string) => Promise<string | undefined>;
  readonly now: () => Date;
}

/** The role an org user needs per org-wide topic (the HTTP routes of the same data need the same). */
const TOPIC_ROLE: Record<OrgTopic, Role> = { tasks: 'MEMBER', workers: 'ADMIN', alerts: 'ADMIN' };

/** What a connection removed meanwhile (disconnected, or its API key revoked) is told when it subscribes. */
const NOT_REGISTERED = 'this connection is not registered; reconnect';

/**
 * Records the connection; 'revoked' when its API key's revocation began meanwhile (after the authorizer
 * let it in, before this write was where the revocation looks): it is removed again, to be refused.
 */
export async function connect(
  connectionId: string,
  identity: Identity,
  deps: LiveSessionDeps,
): Promise<'connected' | 'revoked'> {
  const now = deps.now();
  await deps.store.putConnection({
    connectionId,
    identity,
    connectedAt: now.toISOString(),
    expiresAt: Math.floor(now.getTime() / 1000) + CONNECTION_TTL_SECONDS,
  });
  if (identity.method === 'api-key' && (await deps.store.isKeyRevoked(identity.orgId, identity.principal))) {
    await deps.store.removeConnection(connectionId);
    return 'revoked';
  }
  return 'connected';
}

export const disconnect = (connectionId: string, deps: LiveSessionDeps): Promise<void> =>
  deps.store.removeConnection(connectionId);

/** The answer to one client message (an `error` for anything the client got wrong). */
export async function handleMessage(
  connectionId: string,
  body: string | undefined,
  deps: LiveSessionDeps,
): Promise<ServerMessage> {
  const message = parseClientMessage(body);
  if (isErrorMessage(message)) return message;
  if (message.action === 'ping') return { type: 'pong' };
  const connection = await deps.store.getConnection(connectionId);
  if (!connection) return errorMessage(undefined, NOT_REGISTERED);
  if (credentialExpired(connection.identity, deps.now())) {
    // The sweeper closes it within a minute; until then it hears nothing more.
    await deps.store.removeConnection(connectionId);
    return errorMessage(undefined, CREDENTIAL_EXPIRED);
  }
  const resolved = await resolveSubscription(connection.identity, message, deps);
  if ('type' in resolved) return resolved;
  if (message.action === 'unsubscribe') {
    await deps.store.unsubscribe(connectionId, resolved.partition);
    return { ...resolved.ack, type: 'unsubscribed' };
  }
  const subscribed = await deps.store.subscribe(connection, resolved.partition);
  if (subscribed === 'connection-full') {
    return errorMessage('topic', 'this connection holds too many subscriptions; unsubscribe from some first');
  }
  if (subscribed === 'connection-gone') {
    return errorMessage(undefined, NOT_REGISTERED);
  }
  if (subscribed === 'partition-full') {
    return errorMessage('topic', 'this topic has as many listeners as it can hold; try again later');
  }
  return resolved.ack;
}

async function resolveSubscription(
  identity: Identity,
  message: SubscriptionMessage,
  deps: LiveSessionDeps,
): Promise<{ partition: string; ack: SubscriptionAck } | ErrorMessage> {
  if (message.topic === 'task') {
    const taskId = message.taskId ?? '';
    const org = await deps.taskOrg(taskId);
    if (org === undefined || (!isOperator(identity) && org !== identity.orgId)) {
      return errorMessage('taskId', `task ${taskId} not found`);
    }
    return { partition: taskPartition(taskId), ack: { type: 'subscribed', topic: 'task', taskId } };
  }
  const topic = message.topic;
  if (!hasAccess(identity.role, TOPIC_ROLE[topic], true)) {
    return errorMessage(
      'topic',
      `${topic} needs the ${TOPIC_ROLE[topic]} role; the caller is ${identity.role}`,
    );
  }
  let org: string;
  if (isOperator(identity)) {
    org = message.org ?? EVERY_ORG;
  } else {
    if (message.org !== undefined && message.org !== identity.orgId) {
      return errorMessage(
        'org',
        `${identity.role} hears its own organization (${identity.orgId}); other organizations need OPERATOR`,
      );
    }
    org = identity.orgId;
  }
  return { partition: topicPartition(topic, org), ack: { type: 'subscribed', topic, org } };
}
