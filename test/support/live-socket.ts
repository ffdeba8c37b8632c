// A WebSocket client of the live updates API for tests: connects with the credential in the subprotocol
// list, as the console and the CLI do, keeps every message it receives, and waits for messages by
// predicate (no sleeps).
import WebSocket from 'ws';

export const liveProtocols = (credential: string) => [
  'stepwise.v1',
  `bearer.${Buffer.from(credential).toString('base64url')}`,
];

export interface LiveSocket {
  readonly socket: WebSocket;
  readonly messages: Record<string, unknown>[];
  send(message: unknown): void;
  /** The first message (from `from` on) that matches, waiting for it up to `timeoutMs`. */
  next(
    match: (message: Record<string, unknown>) => boolean,
    timeoutMs?: number,
    from?: number,
  ): Promise<Record<string, unknown>>;
  /** Sends a message and waits for the first reply that is not an event. */
  request(message: unknown): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export function openLiveSocket(url: string, protocols: string[]): Promise<LiveSocket> {
  const socket = new WebSocket(url, protocols);
  const messages: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  socket.on('message', (data) => {
    messages.push(JSON.parse(data.toString()) as Record<string, unknown>);
    for (const wake of waiters) wake();
  });
  const live: LiveSocket = {
    socket,
    messages,
    send: (message) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
    next(match, timeoutMs = 20_000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.slice(from).find(match);
          if (!found) return false;
          cleanup();
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`No matching message in ${timeoutMs} ms; got ${JSON.stringify(messages)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(wake);
        };
        const wake = () => void check();
        if (!check()) waiters.add(wake);
      });
    },
    request(message) {
      const from = messages.length;
      live.send(message);
      return live.next((reply) => reply.type !== 'event', 10_000, from);
    },
    close: () =>
      new Promise((resolve) => {
        if (socket.readyState === WebSocket.CLOSED) return resolve();
        socket.once('close', () => resolve());
        socket.close();
      }),
  };
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(live));
    socket.once('unexpected-response', (_request, response) =>
      reject(
        Object.assign(new Error(`refused with ${response.statusCode}`), { status: response.statusCode }),
      ),
    );
    socket.once('error', reject);
  });
}

/** The HTTP status a refused connection got. */
export async function refusedStatus(url: string, protocols: string[]): Promise<number | undefined> {
  try {
    const live = await openLiveSocket(url, protocols);
    await live.close();
    return undefined;
  } catch (error) {
    return (error as { status?: number }).status;
  }
}
