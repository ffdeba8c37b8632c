// CloudWatch alarm actions publish the alarm's state change to our severity topics as JSON (AlarmName,
// NewStateValue, NewStateReason, StateChangeTime, AlarmArn, Trigger). The notifier turns ALARM into a
// CLOUDWATCH_ALARM signal of the topic's severity (one alert per alarm name) and OK into its resolution;
// INSUFFICIENT_DATA is not worth a notification.
import type { Severity } from '../resources';
import type { AlertSignal } from './alert';

export interface CloudWatchAlarmMessage {
  readonly AlarmName: string;
  readonly AlarmDescription?: string | null;
  readonly AlarmArn?: string;
  readonly NewStateValue: 'ALARM' | 'OK' | 'INSUFFICIENT_DATA';
  readonly NewStateReason?: string;
  readonly StateChangeTime?: string;
  readonly Trigger?: { readonly MetricName?: string; readonly Threshold?: number };
}

export type AlarmChange =
  | { readonly state: 'ALARM'; readonly signal: AlertSignal }
  | { readonly state: 'OK'; readonly dedupKey: string; readonly summary: string };

export function isCloudWatchAlarm(value: unknown): value is CloudWatchAlarmMessage {
  if (typeof value !== 'object' || value === null) return false;
  const { AlarmName, NewStateValue } = value as Record<string, unknown>;
  return (
    typeof AlarmName === 'string' &&
    (NewStateValue === 'ALARM' || NewStateValue === 'OK' || NewStateValue === 'INSUFFICIENT_DATA')
  );
}

export const cloudWatchDedupKey = (alarmName: string) => `CLOUDWATCH_ALARM#${alarmName}`;

/** The alarm's page in the CloudWatch console, from the region in its ARN. */
function consoleUrl(alarm: CloudWatchAlarmMessage): string | undefined {
  const region = alarm.AlarmArn?.split(':')[3];
  if (!region) return undefined;
  return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#alarmsV2:alarm/${encodeURIComponent(alarm.AlarmName)}`;
}

/** What an alarm's state change does to its alert, or undefined for INSUFFICIENT_DATA. */
export function alarmChange(alarm: CloudWatchAlarmMessage, severity: Severity): AlarmChange | undefined {
  const dedupKey = cloudWatchDedupKey(alarm.AlarmName);
  const link = consoleUrl(alarm);
  const reason = alarm.NewStateReason ?? `${alarm.AlarmName} is ${alarm.NewStateValue}`;
  const summary = link ? `${reason}\nAlarm: ${link}` : reason;
  if (alarm.NewStateValue === 'OK') return { state: 'OK', dedupKey, summary };
  if (alarm.NewStateValue !== 'ALARM') return undefined;
  return {
    state: 'ALARM',
    signal: {
      dedupKey,
      kind: 'CLOUDWATCH_ALARM',
      severity,
      title: alarm.AlarmDescription ? `${alarm.AlarmName}: ${alarm.AlarmDescription}` : alarm.AlarmName,
      summary,
      ...(typeof alarm.Trigger?.Threshold === 'number' && { threshold: alarm.Trigger.Threshold }),
    },
  };
}
