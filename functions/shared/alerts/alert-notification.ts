// What reaches the notifier on the alert topics, read into one shape: the published AlertMessage
// (`type: 'stepwise.alert'`), or a CloudWatch alarm's state change, converted to a CLOUDWATCH_ALARM alert
// (cloudwatch-alarm.ts). Anything else is refused by name, so a stray message is logged, not delivered.
import type { Severity } from '../resources';
import { alarmToAlertMessage, isCloudWatchAlarm } from './cloudwatch-alarm';

/** The alert record as published (the contract of functions/shared/alerts/alert.ts). */
export interface AlertRecordView {
  readonly id: string;
  readonly dedupKey: string;
  readonly kind: string;
  readonly severity: Severity;
  readonly state: 'OPEN' | 'RESOLVED';
  readonly title: string;
  readonly summary: string;
  readonly org?: string;
  readonly workflow?: string;
  readonly task?: string;
  readonly step?: string;
  readonly worker?: string;
  readonly value?: number;
  readonly threshold?: number;
  readonly firstSeenAt: string;
  readonly lastSeenAt: string;
  readonly resolvedAt?: string;
  readonly count: number;
  readonly links: { readonly api: string; readonly console?: string };
}

export type AlertEvent = 'OPENED' | 'ESCALATED' | 'REMINDER' | 'RESOLVED';

export interface AlertMessage {
  readonly type: 'stepwise.alert';
  readonly version: 1;
  readonly event: AlertEvent;
  readonly alert: AlertRecordView;
}

export class UnrecognizedNotification extends Error {
  override name = 'UnrecognizedNotification';
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The alert an SNS message body carries (`topicSeverity`: the severity of the topic it came from), or
 * undefined when it says nothing worth delivering (an alarm entering INSUFFICIENT_DATA).
 */
export function readNotification(body: string, topicSeverity: Severity): AlertMessage | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new UnrecognizedNotification('The message is not JSON', { cause: error });
  }
  if (isObject(parsed) && parsed.type === 'stepwise.alert' && isObject(parsed.alert)) {
    const alert = parsed.alert;
    if (typeof alert.id !== 'string' || typeof alert.title !== 'string' || typeof alert.kind !== 'string') {
      throw new UnrecognizedNotification('The stepwise.alert message has no alert id, kind or title');
    }
    return parsed as unknown as AlertMessage;
  }
  if (isCloudWatchAlarm(parsed)) return alarmToAlertMessage(parsed, topicSeverity);
  throw new UnrecognizedNotification('The message is neither a stepwise.alert nor a CloudWatch alarm');
}
