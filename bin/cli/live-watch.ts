// `tasks watch` over the WebSocket API of live updates: the credential goes in the subprotocol list, as
// the console sends it; the task is subscribed to, read once (so an end before the subscription is not
// missed), and every task and step event is printed as it arrives until the task settles. Whatever keeps
// the socket from being used (refused, unreachable, dropped) returns 'unavailable': the caller polls.
import WebSocket from 'ws';
import { TERMINAL_STATUSES } from '../../functions/shared/tasks/task';
import type { Connection } from './api-client';

/** What a live event carries that the watch prints (functions/shared/live/live-event.ts). */
export interface WatchedEvent {
  readonly kind: string;
  readonly taskId?: string;
  readonly stepId?: string;
  readonly mapIndex?: number;
  readonly status?: string;
  readonly attempt?: number;
  readonly error?: string;
  readonly at?: string;
}

const TERMINAL = new Set<string>(TERMINAL_STATUSES);
const CONNECT_TIMEOUT_MS = 5_000;

/** The WebSocket URL of a deployment: given, or the local stack's `/live` on the API's own port. */
export function liveUrlOf(connection: Connection, liveUrl?: string): string {
  if (liveUrl) return liveUrl;
  const url = new URL(connection.url);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = `${url.pathname.replace(/\/$/, '')}/live`;
  return url.toString();
}

export function renderEvent(event: WatchedEvent): string {
  const at = event.at ? `${event.at}  ` : '';
  if (event.kind === 'task') return `${at}task ${event.status}${event.error ? `  ${event.error}` : ''}`;
  const name = event.mapIndex === undefined ? event.stepId : `${event.stepId}[${event.mapIndex}]`;
  const attempt = event.attempt === undefined ? '' : `  attempt ${event.attempt}`;
  return `${at}step ${name} ${event.status}${attempt}${event.error ? `  ${event.error}` : ''}`;
}

export interface LiveWatchHooks {
  /**
   * Reads the task once subscribed: its status, the lines to print for it, and which of the events that
   * arrived during the read it already shows (those are not printed again).
   */
  readonly snapshot: () => Promise<{
    status: string;
    view: string;
    shows?: (event: WatchedEvent) => boolean;
  }>;
  readonly print: (line: string) => void;
}

/** The task's end status, or 'unavailable' when the socket could not be used. */
export async function watchLive(
  connection: Connection,
  taskId: string,
  url: string,
  hooks: LiveWatchHooks,
): Promise<string | 'unavailable'> {
  const credential = Buffer.from(connection.apiKey).toString('base64url');
  const socket = new WebSocket(url, ['stepwise.v1', `bearer.${credential}`], {
    handshakeTimeout: CONNECT_TIMEOUT_MS,
  });
  return new Promise((resolve) => {
    let settled = false;
    let subscribed = false;
    const finish = (result: string | 'unavailable') => {
      if (settled) return;
      settled = true;
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.close();
      resolve(result);
    };
    socket.on('unexpected-response', () => finish('unavailable'));
    socket.on('error', () => finish('unavailable'));
    socket.on('close', () => finish('unavailable'));
    socket.on('open', () => socket.send(JSON.stringify({ action: 'subscribe', topic: 'task', taskId })));
    // Events that arrive while the snapshot is read wait for it: the task is printed first, then those the
    // snapshot does not show yet (when it shows the end, all the events that led there are in it).
    let pending: WatchedEvent[] | undefined = [];
    const onEvent = (event: WatchedEvent) => {
      if (settled) return;
      hooks.print(renderEvent(event));
      if (event.kind === 'task' && event.status && TERMINAL.has(event.status)) finish(event.status);
    };
    socket.on('message', (data) => {
      let message: { type?: string; event?: WatchedEvent };
      try {
        message = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (!subscribed) {
        // The answer to the subscription: a refusal (not found) is for the HTTP read to report.
        if (message.type !== 'subscribed') return finish('unavailable');
        subscribed = true;
        hooks.snapshot().then(
          ({ status, view, shows }) => {
            if (settled) return;
            hooks.print(view);
            const waiting = pending ?? [];
            pending = undefined;
            if (TERMINAL.has(status)) return finish(status);
            for (const event of waiting) if (!shows?.(event)) onEvent(event);
          },
          () => finish('unavailable'),
        );
        return;
      }
      const event = message.type === 'event' ? message.event : undefined;
      if (!event || event.taskId !== taskId) return;
      if (pending) pending.push(event);
      else onEvent(event);
    });
  });
}
