// The alerting service: signals from rules become one alert per dedup key, and each change worth telling
// is published once. raise: a new problem is OPENED; seen again it only counts (a REMINDER at most once per
// cooldown), unless it got worse (ESCALATED); a key that fires again within the cooldown after it was
// resolved reopens the same alert, so a flapping condition stays one alert. resolve: OPEN -> RESOLVED,
// published. acknowledge: records who and when; an event alert (nothing clears it) is resolved by it,
// without a notification (the person acknowledging it knows).
import type { Severity } from '../resources';
import {
  type AlertEvent,
  type AlertKind,
  type AlertLinkBase,
  type AlertPublisher,
  type AlertRecord,
  type AlertSignal,
  alertLinks,
  alertMessage,
  isEventAlert,
  SEVERITY_RANK,
} from './alert';
import type { AlertListQuery, AlertStore, StoredAlert } from './alert-store';

export const DEFAULT_COOLDOWN_SECONDS = 3600;

/**
 * Writes that lost this many races in a row give up (two sweeps on one key settle in one retry). Between
 * tries a random pause, doubling (up to 10, 20, 40... ms), spreads a burst of writers on one alert.
 */
const MAX_ATTEMPTS = 8;
const RETRY_PAUSE_MS = 10;

export class AlertWriteConflictError extends Error {
  override name = 'AlertWriteConflictError';
}

export interface AlertingDeps {
  readonly store: AlertStore;
  readonly publish: AlertPublisher;
  readonly now: () => Date;
  /** Reminders of an OPEN alert at most this often; a resolved key reopens its alert within it. @default 3600 */
  readonly cooldownSeconds?: number;
  readonly links: AlertLinkBase;
  /** @default crypto.randomUUID */
  readonly newId?: () => string;
}

export interface RaiseResult {
  readonly alert: AlertRecord;
  /** What was published; null when the raise only counted. */
  readonly event: AlertEvent | null;
}

export interface AlertPageView {
  readonly items: AlertRecord[];
  readonly cursor?: string;
}

export interface Alerting {
  raise(signal: AlertSignal): Promise<RaiseResult>;
  resolve(dedupKey: string, summary?: string): Promise<AlertRecord | undefined>;
  /** The OPEN alerts of a kind, for the rules to resolve those whose condition cleared. */
  open(kind: AlertKind): Promise<AlertRecord[]>;
  get(id: string): Promise<AlertRecord | undefined>;
  list(query: AlertListQuery): Promise<AlertPageView>;
  /** Records who acknowledged the alert and when; undefined when there is no such alert. */
  acknowledge(id: string, by: string): Promise<AlertRecord | undefined>;
}

/** The record without the store's bookkeeping. */
export function alertView(stored: StoredAlert): AlertRecord {
  const { notifiedAt: _notified, revision: _revision, ...alert } = stored;
  return alert;
}

const without = <T extends object, K extends keyof T>(value: T, ...keys: K[]): Omit<T, K> => {
  const copy = { ...value };
  for (const key of keys) delete copy[key];
  return copy;
};

export function createAlerting(deps: AlertingDeps): Alerting {
  const cooldownSeconds = deps.cooldownSeconds ?? DEFAULT_COOLDOWN_SECONDS;
  const newId = deps.newId ?? (() => crypto.randomUUID());

  /**
   * Publishes `event` about a stored alert. A failed publish takes back the notification time it was
   * written with (when nothing wrote since), so the next raise tells it again; then the error goes on.
   */
  async function notify(event: AlertEvent, stored: StoredAlert, previousNotifiedAt: string | undefined) {
    try {
      await deps.publish(alertMessage(event, alertView(stored)));
    } catch (error) {
      const { notifiedAt: _failed, ...rest } = stored;
      const reverted: StoredAlert = {
        ...rest,
        ...(previousNotifiedAt !== undefined && { notifiedAt: previousNotifiedAt }),
        revision: stored.revision + 1,
      };
      await deps.store.replace(reverted, stored).catch(() => undefined);
      throw error;
    }
  }

  /** Reads, decides and writes until the write lands on the revision it read. */
  async function retrying<T>(attempt: () => Promise<T | typeof CONFLICT>): Promise<T> {
    for (let tries = 0; tries < MAX_ATTEMPTS; tries++) {
      if (tries > 0)
        await new Promise((resolve) => setTimeout(resolve, Math.random() * RETRY_PAUSE_MS * 2 ** tries));
      const result = await attempt();
      if (result !== CONFLICT) return result;
    }
    throw new AlertWriteConflictError(`Alert write lost ${MAX_ATTEMPTS} races in a row`);
  }

  const raiseOnce = async (signal: AlertSignal): Promise<RaiseResult | typeof CONFLICT> => {
    const { alertId, alert: current } = await deps.store.lookup(signal.dedupKey);
    const now = deps.now();
    const within = (since: string | undefined) =>
      since !== undefined && now.getTime() - Date.parse(since) < cooldownSeconds * 1000;
    const at = now.toISOString();

    if (!current || (current.state === 'RESOLVED' && !within(current.resolvedAt))) {
      const id = newId();
      const created: StoredAlert = {
        ...signal,
        id,
        state: 'OPEN',
        firstSeenAt: at,
        lastSeenAt: at,
        count: 1,
        links: alertLinks(deps.links, id),
        notifiedAt: at,
        revision: 1,
      };
      if (!(await deps.store.create(created, alertId))) return CONFLICT;
      await notify('OPENED', created, undefined);
      return { alert: alertView(created), event: 'OPENED' };
    }

    let next: StoredAlert;
    let event: AlertEvent | null;
    if (current.state === 'RESOLVED') {
      // Flapping: the same alert opens again, as a new episode (its acknowledgement was of the last one).
      next = {
        ...without(current, 'resolvedAt', 'acknowledgedAt', 'acknowledgedBy'),
        ...signal,
        state: 'OPEN',
        lastSeenAt: at,
        count: current.count + 1,
        notifiedAt: at,
        revision: current.revision + 1,
      };
      event = 'OPENED';
    } else {
      const rank = SEVERITY_RANK[signal.severity] - SEVERITY_RANK[current.severity];
      // A lower severity keeps the alert's words (they describe the worse state), only counting the value.
      const described = rank >= 0 ? signal : signal.value === undefined ? {} : { value: signal.value };
      // Never told (its first publish failed): OPENED now; otherwise a reminder once per cooldown.
      event =
        rank > 0
          ? 'ESCALATED'
          : current.notifiedAt === undefined
            ? 'OPENED'
            : within(current.notifiedAt)
              ? null
              : 'REMINDER';
      next = {
        ...current,
        ...described,
        severity: maxSeverity(current.severity, signal.severity),
        lastSeenAt: at,
        count: current.count + 1,
        ...(event && { notifiedAt: at }),
        revision: current.revision + 1,
      };
    }
    if (!(await deps.store.replace(next, current))) return CONFLICT;
    if (event) await notify(event, next, current.notifiedAt);
    return { alert: alertView(next), event };
  };

  const resolveOnce = async (
    dedupKey: string,
    summary: string | undefined,
  ): Promise<AlertRecord | undefined | typeof CONFLICT> => {
    const { alert: current } = await deps.store.lookup(dedupKey);
    if (current?.state !== 'OPEN') return undefined;
    const at = deps.now().toISOString();
    const next: StoredAlert = {
      ...current,
      state: 'RESOLVED',
      resolvedAt: at,
      ...(summary !== undefined && { summary }),
      notifiedAt: at,
      revision: current.revision + 1,
    };
    if (!(await deps.store.replace(next, current))) return CONFLICT;
    await notify('RESOLVED', next, current.notifiedAt);
    return alertView(next);
  };

  const acknowledgeOnce = async (
    id: string,
    by: string,
    asked: string,
  ): Promise<AlertRecord | undefined | typeof CONFLICT> => {
    const current = await deps.store.get(id);
    if (!current) return undefined;
    // Acknowledged since this acknowledgement was asked for (a concurrent one landed first): that one is the
    // latest, and answering it spares a write that would only race the others into a conflict (a 500 for
    // most of a dozen acknowledgements at once).
    if (current.acknowledgedAt !== undefined && current.acknowledgedAt >= asked) return alertView(current);
    const at = deps.now().toISOString();
    const resolves = current.state === 'OPEN' && isEventAlert(current.kind);
    const next: StoredAlert = {
      ...current,
      acknowledgedAt: at,
      acknowledgedBy: by,
      ...(resolves && { state: 'RESOLVED', resolvedAt: at }),
      revision: current.revision + 1,
    };
    if (!(await deps.store.replace(next, current))) return CONFLICT;
    return alertView(next);
  };

  return {
    raise: (signal) => retrying(() => raiseOnce(signal)),
    resolve: (dedupKey, summary) => retrying(() => resolveOnce(dedupKey, summary)),
    acknowledge: (id, by) => {
      const asked = deps.now().toISOString();
      return retrying(() => acknowledgeOnce(id, by, asked));
    },
    open: async (kind) => (await deps.store.listOpen(kind)).map(alertView),
    get: async (id) => {
      const stored = await deps.store.get(id);
      return stored && alertView(stored);
    },
    list: async (query) => {
      const page = await deps.store.list(query);
      return { items: page.items.map(alertView), ...(page.cursor !== undefined && { cursor: page.cursor }) };
    },
  };
}

const CONFLICT = Symbol('conflict');

const maxSeverity = (a: Severity, b: Severity): Severity => (SEVERITY_RANK[a] >= SEVERITY_RANK[b] ? a : b);
