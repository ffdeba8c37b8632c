// CloudWatch alarm actions publish the alarm's state change to our severity topics as JSON (AlarmName,
// NewStateValue, NewStateReason, StateChangeTime, AlarmArn, Trigger). The notifier turns it into a
// CLOUDWATCH_ALARM alert of the topic's severity, so Slack and webhook channels get one format whatever
// raised the alert: ALARM opens it, OK resolves it, INSUFFICIENT_DATA is not worth a notification.
import { createHash } from 'node:crypto';
import type { Severity } from '../resources';
import type { AlertMessage } from './alert-notification';

export interface CloudWatchAlarmMessage {
  readonly AlarmName: string;
  readonly AlarmDescription?: string | null;
  readonly AlarmArn?: string;
  readonly NewStateValue: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA';
  readonly NewStateReason?: string;
  readonly OldStateValue?: string;
  readonly StateChangeTime?: string;
  readonly Trigger?: { readonly MetricName?: string; readonly Threshold?: number };
}

export const CLOUDWATCH_ALARM_KIND = 'CLOUDWATCH_ALARM';

export function isCloudWatchAlarm(value: unknown): value is CloudWatchAlarmMessage {
  if (typeof value !== 'object' || value === null) return false;
  const { AlarmName, NewStateValue } = value as Record<string, unknown>;
  return (
    typeof AlarmName === 'string' &&
    (NewStateValue === 'ALARM' || NewStateValue === 'OK' || NewStateValue === 'INSUFFICIENT_DATA')
  );
}

/** One alert id per alarm, so its ALARM and OK notifications share a delivery log. */
export function cloudWatchAlertId(alarm: Pick<CloudWatchAlarmMessage, 'AlarmName' | 'AlarmArn'>): string {
  const digest = createHash('sha256')
    .update(alarm.AlarmArn ?? alarm.AlarmName)
    .digest('hex');
  return `cloudwatch-${digest.slice(0, 24)}`;
}

/** `2026-11-27T23:45:51.117+0000` (CloudWatch's form) as ISO 8601 UTC; now when missing or unreadable. */
function changeTime(value: string | undefined): string {
  const parsed = value ? Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')) : Number.NaN;
  return new Date(Number.isNaN(parsed) ? Date.now() : parsed).toISOString();
}

/** The alarm's page in the CloudWatch console, from the region in its ARN. */
function consoleUrl(alarm: CloudWatchAlarmMessage): string | undefined {
  const region = alarm.AlarmArn?.split(':')[3];
  if (!region) return undefined;
  return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#alarmsV2:alarm/${encodeURIComponent(alarm.AlarmName)}`;
}

/** The alert to deliver for an alarm's state change, or undefined for INSUFFICIENT_DATA. */
export function alarmToAlertMessage(
  alarm: CloudWatchAlarmMessage,
  severity: Severity,
): AlertMessage | undefined {
  if (alarm.NewStateValue === 'INSUFFICIENT_DATA') return undefined;
  const id = cloudWatchAlertId(alarm);
  const at = changeTime(alarm.StateChangeTime);
  const resolved = alarm.NewStateValue === 'OK';
  const link = consoleUrl(alarm);
  return {
    type: 'stepwise.alert',
    version: 1,
    event: resolved ? 'RESOLVED' : 'OPENED',
    alert: {
      id,
      dedupKey: `${CLOUDWATCH_ALARM_KIND}#${alarm.AlarmName}`,
      kind: CLOUDWATCH_ALARM_KIND,
      severity,
      state: resolved ? 'RESOLVED' : 'OPEN',
      title: alarm.AlarmDescription ? `${alarm.AlarmName}: ${alarm.AlarmDescription}` : alarm.AlarmName,
      summary: alarm.NewStateReason ?? `${alarm.AlarmName} is ${alarm.NewStateValue}`,
      ...(typeof alarm.Trigger?.Threshold === 'number' && { threshold: alarm.Trigger.Threshold }),
      firstSeenAt: at,
      lastSeenAt: at,
      ...(resolved && { resolvedAt: at }),
      count: 1,
      links: { api: `/admin/alerts/${id}`, ...(link && { console: link }) },
    },
  };
}
