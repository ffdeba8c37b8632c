import type { PublishCommand } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import type { AlertMessage, AlertRecord } from '../../../functions/shared/alerts/alert';
import {
  alertChatNotification,
  alertEmailText,
  alertSubject,
  snsAlertPublisher,
} from '../../../functions/shared/alerts/publish-alert';

const topics = { CRITICAL: 'arn:critical', WARNING: 'arn:warning', INFO: 'arn:info' };
const alert: AlertRecord = {
  id: 'a-1',
  dedupKey: 'WORKER_DEAD#w-1',
  kind: 'WORKER_DEAD',
  severity: 'CRITICAL',
  state: 'OPEN',
  title: 'Worker w-1 (research) is dead',
  summary: 'No heartbeat from worker w-1 for 301 s.',
  org: 'acme',
  worker: 'w-1',
  value: 301,
  threshold: 300,
  firstSeenAt: '2026-11-27T12:00:00.000Z',
  lastSeenAt: '2026-11-27T12:00:00.000Z',
  count: 1,
  links: { api: 'https://api.test/admin/alerts/a-1', console: 'https://console.test/alerts/a-1' },
};
const opened: AlertMessage = { type: 'stepwise.alert', version: 1, event: 'OPENED', alert };

function publisher() {
  const sent: PublishCommand['input'][] = [];
  const sns = { send: async (command: PublishCommand) => void sent.push(command.input) };
  return { publish: snsAlertPublisher(sns as never, topics), sent };
}

describe('publishing an alert', () => {
  it('goes to the topic of its severity as MessageStructure json, with severity, kind, event and org attributes', async () => {
    const { publish, sent } = publisher();
    await publish(opened);
    expect(sent).toEqual([
      {
        TopicArn: 'arn:critical',
        Subject: '[CRITICAL] Worker w-1 (research) is dead',
        MessageStructure: 'json',
        Message: expect.any(String),
        MessageAttributes: {
          severity: { DataType: 'String', StringValue: 'CRITICAL' },
          kind: { DataType: 'String', StringValue: 'WORKER_DEAD' },
          event: { DataType: 'String', StringValue: 'OPENED' },
          org: { DataType: 'String', StringValue: 'acme' },
        },
      },
    ]);
    const forms = JSON.parse(sent[0]?.Message ?? '');
    for (const protocol of ['default', 'sqs', 'lambda']) expect(JSON.parse(forms[protocol])).toEqual(opened);
    expect(forms.email).toBe(alertEmailText(opened));
    expect(JSON.parse(forms.https)).toEqual(alertChatNotification(opened));
  });

  it('leaves the org attribute out when the alert concerns no single organization', async () => {
    const { publish, sent } = publisher();
    const { org: _org, ...orgless } = alert;
    await publish({ ...opened, alert: { ...orgless, severity: 'WARNING' } });
    expect(sent[0]?.TopicArn).toBe('arn:warning');
    expect(sent[0]?.MessageAttributes).not.toHaveProperty('org');
  });

  it('writes the email as plain text: summary, facts and links, and how to acknowledge while OPEN', () => {
    const text = alertEmailText(opened);
    expect(text.split('\n').slice(0, 3)).toEqual([
      'CRITICAL alert opened: Worker w-1 (research) is dead',
      '',
      'No heartbeat from worker w-1 for 301 s.',
    ]);
    expect(text).toContain('Organization: acme');
    expect(text).toContain('Value: 301 (threshold 300)');
    expect(text).toContain('Details: GET https://api.test/admin/alerts/a-1');
    expect(text).toContain('Console: https://console.test/alerts/a-1');
    expect(text).toContain('Acknowledge: POST https://api.test/admin/alerts/a-1/ack');
    expect(text).not.toMatch(/[{}]/);
    const resolved = alertEmailText({
      ...opened,
      event: 'RESOLVED',
      alert: { ...alert, state: 'RESOLVED', resolvedAt: '2026-11-27T12:05:00.000Z' },
    });
    expect(resolved).toMatch(/^CRITICAL alert resolved: /);
    expect(resolved).toContain('Resolved at: 2026-11-27T12:05:00.000Z');
    expect(resolved).not.toContain('Acknowledge:');
  });

  it('gives chat subscribers the Amazon Q Developer custom notification, threaded by alert', () => {
    const chat = alertChatNotification({ ...opened, event: 'ESCALATED' });
    expect(chat).toMatchObject({
      version: '1.0',
      source: 'custom',
      content: {
        textType: 'client-markdown',
        title: ':rotating_light: Escalated: Worker w-1 (research) is dead',
        description: expect.stringContaining('No heartbeat from worker w-1'),
        nextSteps: expect.arrayContaining(['Details: https://api.test/admin/alerts/a-1']),
      },
      metadata: { threadId: 'a-1', eventType: 'stepwise.alert.ESCALATED' },
    });
    expect(alertChatNotification({ ...opened, event: 'RESOLVED' }).content.title).toMatch(
      /^:white_check_mark: Resolved: /,
    );
  });

  it('names the event in the subject after the first message, within the 100 printable ASCII characters SNS allows', () => {
    expect(alertSubject({ ...opened, event: 'RESOLVED' })).toBe(
      '[CRITICAL] Resolved: Worker w-1 (research) is dead',
    );
    const subject = alertSubject({ ...opened, alert: { ...alert, title: `Worker ${'é'.repeat(200)}` } });
    expect(subject).toHaveLength(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
  });
});
