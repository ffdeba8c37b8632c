import { describe, expect, it } from 'vitest';
import {
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

describe('notifications the notifier reads', () => {
  it('turns a CloudWatch ALARM into an OPENED CLOUDWATCH_ALARM alert of the topic severity', () => {
    const message = readNotification(alarm('ALARM'), 'WARNING');
    expect(message).toMatchObject({
      event: 'OPENED',
      alert: {
        kind: 'CLOUDWATCH_ALARM',
        severity: 'WARNING',
        state: 'OPEN',
        title: 'stepwise-ApiFunctionErrors: The api Lambda reports errors',
        summary: expect.stringContaining('Threshold Crossed'),
        threshold: 0,
        firstSeenAt: '2026-11-27T12:00:05.117Z',
        links: { console: expect.stringContaining('eu-west-1.console.aws.amazon.com/cloudwatch') },
      },
    });
    expect(message?.alert.org).toBeUndefined();
  });

  it('turns the OK that follows into a RESOLVED of the same alert', () => {
    const opened = readNotification(alarm('ALARM'), 'CRITICAL');
    const resolved = readNotification(alarm('OK'), 'CRITICAL');
    expect(resolved).toMatchObject({
      event: 'RESOLVED',
      alert: { state: 'RESOLVED', resolvedAt: '2026-11-27T12:00:05.117Z' },
    });
    expect(resolved?.alert.id).toBe(opened?.alert.id);
  });

  it('delivers nothing for INSUFFICIENT_DATA', () => {
    expect(readNotification(alarm('INSUFFICIENT_DATA'), 'CRITICAL')).toBeUndefined();
  });

  it('reads a published stepwise alert as it is', () => {
    const message = alertMessage();
    expect(readNotification(JSON.stringify(message), 'CRITICAL')).toEqual(message);
  });

  it.each(['not json', '{"hello":"world"}', '{"type":"stepwise.alert","alert":{}}'])(
    'refuses %s by name',
    (body) => {
      expect(() => readNotification(body, 'INFO')).toThrow(UnrecognizedNotification);
    },
  );
});
