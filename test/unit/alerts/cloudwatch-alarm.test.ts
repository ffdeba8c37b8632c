// What the notifier does with each notification: an alert is delivered as published; a CloudWatch alarm
// raises (ALARM) or resolves (OK) a CLOUDWATCH_ALARM alert of the topic's severity; INSUFFICIENT_DATA
// and approval requests are nothing to deliver; anything else is refused by name.
import { describe, expect, it } from 'vitest';
import type { AlertMessage, AlertSignal } from '../../../functions/shared/alerts/alert';
import {
  handleNotification,
  readNotification,
  UnrecognizedNotification,
} from '../../../functions/shared/alerts/alert-notification';
import { alertMessage } from './alert-fixtures';

const alarm = (state: string) =>
  JSON.stringify({
    AlarmName: 'stepwise-ApiFunctionErrors',
    AlarmDescription: 'The api Lambda reports errors',
    AWSAccountId: '123456789012',
    NewStateValue: state,
    NewStateReason: 'Threshold Crossed: 1 datapoint [3.0] was greater than the threshold (0.0).',
    StateChangeTime: '2026-11-27T12:00:05.117+0000',
    Region: 'EU (Ireland)',
    AlarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:stepwise-ApiFunctionErrors',
    OldStateValue: state === 'ALARM' ? 'OK' : 'ALARM',
    Trigger: { MetricName: 'Errors', Namespace: 'AWS/Lambda', Threshold: 0 },
  });

function recorder() {
  const calls = {
    notified: [] as AlertMessage[],
    raised: [] as AlertSignal[],
    resolved: [] as [string, string?][],
  };
  const deps = {
    notify: async (message: AlertMessage) => void calls.notified.push(message),
    alerting: {
      raise: async (signal: AlertSignal) => {
        calls.raised.push(signal);
        return { alert: alertMessage().alert, event: 'OPENED' as const };
      },
      resolve: async (dedupKey: string, summary?: string) => {
        calls.resolved.push([dedupKey, summary]);
        return undefined;
      },
    },
  };
  return { calls, deps };
}

describe('notifications the notifier reads', () => {
  it('raises a CLOUDWATCH_ALARM alert of the topic severity for an alarm in ALARM', async () => {
    const { calls, deps } = recorder();
    expect(await handleNotification(readNotification(alarm('ALARM'), 'WARNING'), deps)).toBeUndefined();
    expect(calls.raised).toEqual([
      {
        dedupKey: 'CLOUDWATCH_ALARM#stepwise-ApiFunctionErrors',
        kind: 'CLOUDWATCH_ALARM',
        severity: 'WARNING',
        title: 'stepwise-ApiFunctionErrors: The api Lambda reports errors',
        summary: expect.stringMatching(
          /^Threshold Crossed.*\nAlarm: https:\/\/eu-west-1\.console\.aws\.amazon\.com\/cloudwatch\//s,
        ),
        threshold: 0,
      },
    ]);
    expect(calls.notified).toEqual([]);
  });

  it('resolves that alert when the alarm returns to OK', async () => {
    const { calls, deps } = recorder();
    await handleNotification(readNotification(alarm('OK'), 'WARNING'), deps);
    expect(calls.resolved).toEqual([
      ['CLOUDWATCH_ALARM#stepwise-ApiFunctionErrors', expect.stringContaining('Threshold')],
    ]);
  });

  it('delivers nothing for INSUFFICIENT_DATA or an approval request', async () => {
    const { calls, deps } = recorder();
    const approval = JSON.stringify({
      type: 'stepwise.approval-requested',
      severity: 'INFO',
      title: 'Approval needed',
    });
    for (const body of [alarm('INSUFFICIENT_DATA'), approval]) {
      expect(await handleNotification(readNotification(body, 'INFO'), deps)).toEqual(expect.any(String));
    }
    expect(calls).toEqual({ notified: [], raised: [], resolved: [] });
  });

  it('delivers a published stepwise alert as it is', async () => {
    const { calls, deps } = recorder();
    const message = alertMessage();
    await handleNotification(readNotification(JSON.stringify(message), 'CRITICAL'), deps);
    expect(calls.notified).toEqual([message]);
  });

  it.each(['not json', '{"hello":"world"}', '{"type":"stepwise.alert","version":1,"alert":{}}'])(
    'refuses %s by name',
    (body) => {
      expect(() => readNotification(body, 'INFO')).toThrow(UnrecognizedNotification);
    },
  );
});
