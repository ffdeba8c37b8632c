// What reaches the notifier on the alert topics, and what it does with each: a published AlertMessage is
// delivered as it is; a CloudWatch alarm's state change raises (ALARM) or resolves (OK) a CLOUDWATCH_ALARM
// alert through the alerting service, so alarms are stored, deduplicated and visible like any alert, and
// the service's message is delivered directly (not published again: email subscribers already got the
// alarm). An approval request (also on the info topic) is not an alert and is left to its subscribers.
// Anything else is refused by name, so a stray message is logged, not delivered.
import { APPROVAL_REQUESTED_TYPE } from '../approvals/notify-approval';
import type { Severity } from '../resources';
import { type AlertMessage, isAlertMessage } from './alert';
import type { Alerting } from './alerting';
import { type AlarmChange, alarmChange, isCloudWatchAlarm } from './cloudwatch-alarm';

export class UnrecognizedNotification extends Error {
  override name = 'UnrecognizedNotification';
}

export type Notification =
  | { readonly message: AlertMessage }
  | { readonly alarm: AlarmChange }
  /** Nothing to deliver: an approval request, or an alarm entering INSUFFICIENT_DATA. */
  | { readonly ignored: string };

/** Reads an SNS message body; `topicSeverity` is the severity of the topic it came from. */
export function readNotification(body: string, topicSeverity: Severity): Notification {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new UnrecognizedNotification('The message is not JSON', { cause: error });
  }
  if (isAlertMessage(parsed)) {
    const { alert } = parsed;
    if (typeof alert.id !== 'string' || typeof alert.title !== 'string' || typeof alert.kind !== 'string') {
      throw new UnrecognizedNotification('The stepwise.alert message has no alert id, kind or title');
    }
    return { message: parsed };
  }
  if (isCloudWatchAlarm(parsed)) {
    const alarm = alarmChange(parsed, topicSeverity);
    return alarm ? { alarm } : { ignored: `CloudWatch alarm ${parsed.AlarmName} has insufficient data` };
  }
  if ((parsed as { type?: unknown } | null)?.type === APPROVAL_REQUESTED_TYPE) {
    return { ignored: 'an approval request' };
  }
  throw new UnrecognizedNotification('The message is neither a stepwise.alert nor a CloudWatch alarm');
}

export interface NotificationDeps {
  /** Delivers a message to the channels (and the console channel). */
  readonly notify: (message: AlertMessage) => Promise<void>;
  /** The alerting service, publishing through `notify`. */
  readonly alerting: Pick<Alerting, 'raise' | 'resolve'>;
}

/** Acts on one notification; returns why it was ignored, if it was. */
export async function handleNotification(
  notification: Notification,
  deps: NotificationDeps,
): Promise<string | undefined> {
  if ('ignored' in notification) return notification.ignored;
  if ('message' in notification) {
    await deps.notify(notification.message);
    return undefined;
  }
  const { alarm } = notification;
  if (alarm.state === 'ALARM') await deps.alerting.raise(alarm.signal);
  else await deps.alerting.resolve(alarm.dedupKey, alarm.summary);
  return undefined;
}
