// The live connection: one WebSocket per signed-in tab to the deployment's live URL. The credential
// rides in the subprotocol list (`bearer.<base64url>`: browsers cannot set headers on a WebSocket, and a
// credential in the URL would land in access logs). Pages subscribe to topics; the client re-sends every
// subscription after a reconnect, reconnects with capped exponential backoff and jitter, and reports
// `polling` while the socket is down so the pages refetch on a timer instead.
import { base64Url } from '../auth/pkce';

export type LiveTopic = 'tasks' | 'task' | 'workers' | 'alerts';

export interface LiveSubscription {
  readonly topic: LiveTopic;
  readonly taskId?: string;
  /** Operators: an org id, or '*' for every org. */
  readonly org?: string;
}

/** A LiveEvent (functions/shared/live/live-event.ts), as far as the console reads it. */
export type LiveEvent =
  | {
      kind: 'task';
      org: string;
      taskId: string;
      workflowId: string;
      agentId?: string;
      status: string;
      at: string;
    }
  | {
      kind: 'step';
      org: string;
      taskId: string;
      stepId: string;
      mapIndex?: number;
      status: string;
      attempt?: number;
      error?: string;
      at: string;
    }
  | { kind: 'worker'; org?: string; workerId: string; workerType: string; status: string; at: string }
  | {
      kind: 'alert';
      org?: string;
      event: string;
      alert: { id: string; state: string } & Record<string, unknown>;
    };

export type LiveState = 'live' | 'polling';

type Listener = (event: LiveEvent) => void;

export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketFactory = (url: string, protocols: string[]) => WebSocketLike;

export interface LiveClientOptions {
  readonly url: string;
  readonly credential: string;
  readonly createSocket?: WebSocketFactory;
  /** @default 1000 */
  readonly initialDelayMs?: number;
  /** @default 30000 */
  readonly maxDelayMs?: number;
  /** Keeps an idle connection open (API Gateway closes one after 10 idle minutes). @default 300000 */
  readonly pingIntervalMs?: number;
}

const OPEN = 1;

export const LIVE_PROTOCOL = 'stepwise.v1';

export function bearerProtocol(credential: string): string {
  return `bearer.${base64Url(new TextEncoder().encode(credential))}`;
}

export const subscriptionKey = (sub: LiveSubscription): string =>
  `${sub.topic}|${sub.taskId ?? ''}|${sub.org ?? ''}`;

/** Which subscriptions an event belongs to (the server already sent it only for one of ours). */
export function matches(sub: LiveSubscription, topic: string, event: LiveEvent): boolean {
  if (sub.topic !== topic) return false;
  if (sub.topic === 'task') return 'taskId' in event && event.taskId === sub.taskId;
  return true;
}

/** Delay before reconnect attempt `n` (0-based): doubling from `initial`, capped, with ±20% jitter. */
export function backoffDelay(
  n: number,
  initial: number,
  max: number,
  random: () => number = Math.random,
): number {
  const base = Math.min(max, initial * 2 ** Math.min(n, 20));
  return Math.round(base * (0.8 + 0.4 * random()));
}

export class LiveClient {
  private socket: WebSocketLike | undefined;
  private readonly subscriptions = new Map<string, { sub: LiveSubscription; listeners: Set<Listener> }>();
  private readonly stateListeners = new Set<() => void>();
  private stateValue: LiveState = 'polling';
  private attempts = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private closed = false;

  constructor(private readonly options: LiveClientOptions) {}

  get state(): LiveState {
    return this.stateValue;
  }

  start(): void {
    this.closed = false;
    this.connect();
  }

  stop(): void {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.pingTimer);
    const socket = this.socket;
    this.socket = undefined;
    if (socket) {
      socket.onclose = null;
      socket.close(1000, 'signed out');
    }
    this.setState('polling');
  }

  onStateChange(listener: () => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  subscribe(sub: LiveSubscription, listener: Listener): () => void {
    const key = subscriptionKey(sub);
    let entry = this.subscriptions.get(key);
    if (!entry) {
      entry = { sub, listeners: new Set() };
      this.subscriptions.set(key, entry);
      this.send({ action: 'subscribe', ...sub });
    }
    entry.listeners.add(listener);
    return () => {
      const current = this.subscriptions.get(key);
      if (!current) return;
      current.listeners.delete(listener);
      if (current.listeners.size > 0) return;
      this.subscriptions.delete(key);
      this.send({ action: 'unsubscribe', ...sub });
    };
  }

  private connect(): void {
    const create: WebSocketFactory =
      this.options.createSocket ??
      ((url, protocols) => new WebSocket(url, protocols) as unknown as WebSocketLike);
    let socket: WebSocketLike;
    try {
      socket = create(this.options.url, [LIVE_PROTOCOL, bearerProtocol(this.options.credential)]);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      this.attempts = 0;
      this.setState('live');
      for (const { sub } of this.subscriptions.values()) this.send({ action: 'subscribe', ...sub });
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(
        () => this.send({ action: 'ping' }),
        this.options.pingIntervalMs ?? 300_000,
      );
    };
    socket.onmessage = (message) => this.receive(message.data);
    socket.onerror = () => undefined;
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      clearInterval(this.pingTimer);
      this.setState('polling');
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    const delay = backoffDelay(
      this.attempts++,
      this.options.initialDelayMs ?? 1000,
      this.options.maxDelayMs ?? 30_000,
    );
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') return;
    let message: { type?: string; topic?: string; event?: LiveEvent };
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (message.type !== 'event' || !message.topic || !message.event) return;
    for (const { sub, listeners } of this.subscriptions.values()) {
      if (!matches(sub, message.topic, message.event)) continue;
      for (const listener of listeners) listener(message.event);
    }
  }

  private send(message: object): void {
    if (this.socket?.readyState === OPEN) this.socket.send(JSON.stringify(message));
  }

  private setState(state: LiveState): void {
    if (this.stateValue === state) return;
    this.stateValue = state;
    for (const listener of this.stateListeners) listener();
  }
}
