import type { PublishCommand } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { type Alert, alertSubject, snsAlertPublisher } from '../../../functions/shared/alerts/publish-alert';

const topics = { CRITICAL: 'arn:critical', WARNING: 'arn:warning', INFO: 'arn:info' };
const alert: Alert = {
  severity: 'CRITICAL',
  kind: 'WORKER_DEAD',
  title: 'Worker w-1 (research) is dead',
  summary: 'No heartbeat from worker w-1 for 301 s.',
  org: 'acme',
  fields: { worker: 'w-1', inFlight: 1 },
};

function publisher() {
  const sent: PublishCommand['input'][] = [];
  const sns = { send: async (command: PublishCommand) => void sent.push(command.input) };
  return { publish: snsAlertPublisher(sns as never, topics), sent };
}

describe('publishing an alert', () => {
  it('goes to the topic of its severity with severity, kind and org attributes, a subject and a JSON body', async () => {
    const { publish, sent } = publisher();
    await publish(alert);
    expect(sent).toEqual([
      {
        TopicArn: 'arn:critical',
        Subject: '[CRITICAL] Worker w-1 (research) is dead',
        Message: expect.any(String),
        MessageAttributes: {
          severity: { DataType: 'String', StringValue: 'CRITICAL' },
          kind: { DataType: 'String', StringValue: 'WORKER_DEAD' },
          org: { DataType: 'String', StringValue: 'acme' },
        },
      },
    ]);
    expect(JSON.parse(sent[0]?.Message ?? '')).toEqual({
      severity: 'CRITICAL',
      kind: 'WORKER_DEAD',
      title: alert.title,
      summary: alert.summary,
      org: 'acme',
      worker: 'w-1',
      inFlight: 1,
    });
  });

  it('leaves the org attribute out when the alert concerns no single organization', async () => {
    const { publish, sent } = publisher();
    await publish({ ...alert, org: undefined, severity: 'WARNING' });
    expect(sent[0]?.TopicArn).toBe('arn:warning');
    expect(sent[0]?.MessageAttributes).not.toHaveProperty('org');
  });

  it('keeps the subject to the 100 printable ASCII characters SNS allows', () => {
    const subject = alertSubject({ ...alert, title: `Worker ${'é'.repeat(200)}` });
    expect(subject).toHaveLength(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
  });
});
