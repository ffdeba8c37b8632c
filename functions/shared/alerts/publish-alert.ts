// Publishing an alert: one SNS topic per severity, message attributes (severity, kind, org) that
// subscription filter policies can match, a subject a person reads in an email list and a JSON body that
// both people and programs read. Deliberately small: the full alert model (dedup, OPEN/RESOLVED, chat
// formats) builds on this.
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Severity } from '../resources';

export interface Alert {
  readonly severity: Severity;
  /** A stable identifier rules and runbooks can name, e.g. WORKER_DEAD. */
  readonly kind: string;
  readonly title: string;
  readonly summary: string;
  /** The organization the alert concerns, when it concerns exactly one. */
  readonly org?: string;
  /** What else the alert says (the worker, its type, ...), as JSON fields of the body. */
  readonly fields?: Readonly<Record<string, unknown>>;
}

export type AlertPublisher = (alert: Alert) => Promise<void>;

/** SNS allows 100 printable ASCII characters in an email subject. */
const MAX_SUBJECT = 100;

export function alertSubject(alert: Alert): string {
  const subject = `[${alert.severity}] ${alert.title}`.replace(/[^\x20-\x7e]/g, '?');
  return subject.length <= MAX_SUBJECT ? subject : `${subject.slice(0, MAX_SUBJECT - 3)}...`;
}

/** The body: the alert as indented JSON, so an email is readable and a subscriber can parse it. */
export function alertBody(alert: Alert): string {
  const { severity, kind, title, summary, org, fields } = alert;
  return JSON.stringify({ severity, kind, title, summary, ...(org && { org }), ...fields }, null, 2);
}

/** Publishes to the topic of the alert's severity. */
export function snsAlertPublisher(
  sns: Pick<SNSClient, 'send'>,
  topicArns: Readonly<Record<Severity, string>>,
): AlertPublisher {
  return async (alert) => {
    const attribute = (value: string) => ({ DataType: 'String', StringValue: value });
    await sns.send(
      new PublishCommand({
        TopicArn: topicArns[alert.severity],
        Subject: alertSubject(alert),
        Message: alertBody(alert),
        MessageAttributes: {
          severity: attribute(alert.severity),
          kind: attribute(alert.kind),
          ...(alert.org && { org: attribute(alert.org) }),
        },
      }),
    );
  };
}
