// The alert model: one record per problem (its dedup key), OPEN until its condition clears or someone
// acknowledges an event alert, then RESOLVED and kept 30 days. Rules pass an AlertSignal (what they saw);
// the alerting service (alerting.ts) turns signals into records and the messages it publishes.
import type { Severity } from '../resources';

export const ALERT_KINDS = [
  'ERROR_RATE',
  'SLOW_TASKS',
  'TASK_STUCK',
  'STEP_RETRYING',
  'TASK_FAILED',
  'WORKER_DEAD',
  'DLQ_NOT_EMPTY',
  'CLOUDWATCH_ALARM',
] as const;

/** A stable identifier rules, channel filters and runbooks name. */
export type AlertKind = (typeof ALERT_KINDS)[number];

export const SEVERITIES = ['CRITICAL', 'WARNING', 'INFO'] as const satisfies readonly Severity[];

/** Higher is worse: an OPEN alert raised again at a higher rank escalates. */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = { INFO: 0, WARNING: 1, CRITICAL: 2 };

export const ALERT_STATES = ['OPEN', 'RESOLVED'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

/**
 * Alerts of one event (a task failed, a worker died): no condition clears them, so acknowledging one
 * resolves it. Every other kind is a condition a rule re-checks and resolves when it clears.
 */
export const EVENT_ALERT_KINDS: ReadonlySet<AlertKind> = new Set<AlertKind>(['TASK_FAILED', 'WORKER_DEAD']);

export const isEventAlert = (kind: AlertKind): boolean => EVENT_ALERT_KINDS.has(kind);

export interface AlertLinks {
  /** GET /admin/alerts/{id} on this deployment's API. */
  readonly api: string;
  /** The alert in the console, when the deployment names one. */
  readonly console?: string;
}

/** What a rule passes to raise an alert. */
export interface AlertSignal {
  /** One alert per key: `WORKER_DEAD#<workerId>`, `ERROR_RATE#WF#<org>#<wf>`, ... */
  readonly dedupKey: string;
  readonly kind: AlertKind;
  readonly severity: Severity;
  readonly title: string;
  /** Plain text a person reads in an email: what happened, and what it affects. */
  readonly summary: string;
  /** The organization it concerns; without one only OPERATORs see it. */
  readonly org?: string;
  readonly workflow?: string;
  readonly task?: string;
  readonly step?: string;
  readonly worker?: string;
  /** The measured value (an error rate of 0.6, a p95 in ms, a message count). */
  readonly value?: number;
  readonly threshold?: number;
}

export interface AlertRecord extends AlertSignal {
  readonly id: string;
  readonly state: AlertState;
  readonly firstSeenAt: string;
  readonly lastSeenAt: string;
  readonly resolvedAt?: string;
  /** How many times the problem was seen (raises, reopenings included). */
  readonly count: number;
  readonly acknowledgedAt?: string;
  /** The principal (JWT sub or API key id) that acknowledged it. */
  readonly acknowledgedBy?: string;
  readonly links: AlertLinks;
}

export type AlertEvent = 'OPENED' | 'ESCALATED' | 'REMINDER' | 'RESOLVED';

/** What the publisher sends (SNS `default`, `sqs` and `lambda` forms): the notifier's input. */
export interface AlertMessage {
  readonly type: 'stepwise.alert';
  readonly version: 1;
  readonly event: AlertEvent;
  readonly alert: AlertRecord;
}

export const alertMessage = (event: AlertEvent, alert: AlertRecord): AlertMessage => ({
  type: 'stepwise.alert',
  version: 1,
  event,
  alert,
});

/** Whether a parsed JSON value is an AlertMessage (the notifier's check of what a topic delivered). */
export function isAlertMessage(value: unknown): value is AlertMessage {
  if (typeof value !== 'object' || value === null) return false;
  const message = value as Partial<AlertMessage>;
  return (
    message.type === 'stepwise.alert' &&
    message.version === 1 &&
    typeof message.alert === 'object' &&
    message.alert !== null
  );
}

/** Sends a message to the topic of its alert's severity (publish-alert.ts on SNS). */
export type AlertPublisher = (message: AlertMessage) => Promise<void>;

/** Where an alert's links point: the API's base URL and, when the deployment has one, the console's. */
export interface AlertLinkBase {
  readonly apiBaseUrl: string;
  readonly consoleBaseUrl?: string;
}

export function alertLinks(base: AlertLinkBase, id: string): AlertLinks {
  const path = `alerts/${encodeURIComponent(id)}`;
  const join = (url: string, rest: string) => `${url.replace(/\/+$/, '')}/${rest}`;
  return {
    api: join(base.apiBaseUrl, `admin/${path}`),
    ...(base.consoleBaseUrl !== undefined && { console: join(base.consoleBaseUrl, path) }),
  };
}
