// Publishing to the alert topics: one SNS topic per severity, message attributes (severity, kind, event,
// org) that subscription filter policies match, and one message per protocol (MessageStructure json):
// programs (sqs, lambda and the default) get the JSON message, email readers plain text, and https
// subscribers the Amazon Q Developer in chat applications custom-notification format (its chat
// integration subscribes to a topic over https).
import type { PublishCommandInput } from '@aws-sdk/client-sns';
import { PublishCommand, type SnsClient } from '../clients/sns';
import type { ResourceConfig } from '../config';
import type { Severity } from '../resources';
import type { AlertEvent, AlertMessage, AlertPublisher, AlertRecord } from './alert';
import { type AlertFact, alertFacts, definedFacts, timesSeen } from './alert-facts';

/** Amazon Q Developer in chat applications custom notification (version 1.0, source custom). */
export interface ChatNotification {
  readonly version: '1.0';
  readonly source: 'custom';
  readonly id?: string;
  readonly content: {
    readonly textType: 'client-markdown';
    readonly title: string;
    readonly description: string;
    readonly nextSteps?: readonly string[];
    readonly keywords?: readonly string[];
  };
  readonly metadata?: {
    /** Notifications with one threadId are grouped in one chat thread (an alert's updates). */
    readonly threadId?: string;
    readonly summary?: string;
    readonly eventType?: string;
    readonly relatedResources?: readonly string[];
    readonly additionalContext?: Readonly<Record<string, string>>;
  };
}

/** One notification in every protocol's form. */
export interface TopicNotification {
  readonly subject: string;
  /** The JSON message of the sqs, lambda and default forms. */
  readonly json: unknown;
  readonly email: string;
  readonly chat: ChatNotification;
  readonly attributes: Readonly<Record<string, string>>;
}

/** SNS allows 100 printable ASCII characters in an email subject, on one line. */
const MAX_SUBJECT = 100;

export function topicSubject(text: string): string {
  const subject = text.replace(/[^\x20-\x7e]/g, '?');
  return subject.length <= MAX_SUBJECT ? subject : `${subject.slice(0, MAX_SUBJECT - 3)}...`;
}

/** The Publish request of a notification: MessageStructure json, one form per protocol. */
export function notificationInput(topicArn: string, notification: TopicNotification): PublishCommandInput {
  const json = JSON.stringify(notification.json);
  return {
    TopicArn: topicArn,
    Subject: topicSubject(notification.subject),
    MessageStructure: 'json',
    Message: JSON.stringify({
      default: json,
      sqs: json,
      lambda: json,
      email: notification.email,
      'email-json': json,
      https: JSON.stringify(notification.chat),
    }),
    MessageAttributes: Object.fromEntries(
      Object.entries(notification.attributes).map(([name, value]) => [
        name,
        { DataType: 'String', StringValue: value },
      ]),
    ),
  };
}

const EVENT_WORDS: Readonly<Record<AlertEvent, string>> = {
  OPENED: 'Opened',
  ESCALATED: 'Escalated',
  REMINDER: 'Still open',
  RESOLVED: 'Resolved',
};

const CHAT_ICONS: Readonly<Record<Severity, string>> = {
  CRITICAL: ':rotating_light:',
  WARNING: ':warning:',
  INFO: ':information_source:',
};

export function alertSubject(message: AlertMessage): string {
  const { alert, event } = message;
  return topicSubject(
    `[${alert.severity}] ${event === 'OPENED' ? '' : `${EVENT_WORDS[event]}: `}${alert.title}`,
  );
}

/** The email and chat facts: the alert's facts, then its history (state, resolution, acknowledgement) and id. */
function detailedFacts(alert: AlertRecord): AlertFact[] {
  return [
    ...alertFacts(alert),
    ...definedFacts([
      [
        'State',
        `${alert.state}, seen ${timesSeen(alert.count)} (first ${alert.firstSeenAt}, last ${alert.lastSeenAt})`,
      ],
      ['Resolved at', alert.resolvedAt],
      [
        'Acknowledged',
        alert.acknowledgedAt && `by ${alert.acknowledgedBy ?? 'unknown'} at ${alert.acknowledgedAt}`,
      ],
      ['Alert id', alert.id],
    ]),
  ];
}

/** The email body: plain text, the summary first, then the facts and the links. */
export function alertEmailText(message: AlertMessage): string {
  const { alert, event } = message;
  return [
    `${alert.severity} alert ${EVENT_WORDS[event].toLowerCase()}: ${alert.title}`,
    '',
    alert.summary,
    '',
    ...detailedFacts(alert).map(([label, value]) => `${label}: ${value}`),
    '',
    `Details: GET ${alert.links.api}`,
    ...(alert.links.console ? [`Console: ${alert.links.console}`] : []),
    ...(alert.state === 'OPEN' ? [`Acknowledge: POST ${alert.links.api}/ack`] : []),
  ].join('\n');
}

/** The Amazon Q Developer custom notification of an alert; its updates share the alert's thread. */
export function alertChatNotification(message: AlertMessage): ChatNotification {
  const { alert, event } = message;
  const icon = event === 'RESOLVED' ? ':white_check_mark:' : CHAT_ICONS[alert.severity];
  return {
    version: '1.0',
    source: 'custom',
    id: `${alert.id}:${event}:${alert.count}`,
    content: {
      textType: 'client-markdown',
      title: `${icon} ${EVENT_WORDS[event]}: ${alert.title}`,
      description: [
        alert.summary,
        '',
        ...detailedFacts(alert).map(([label, value]) => `*${label}:* ${value}`),
      ].join('\n'),
      nextSteps: [
        `Details: ${alert.links.api}`,
        ...(alert.links.console ? [`Console: ${alert.links.console}`] : []),
        ...(alert.state === 'OPEN' ? [`Acknowledge: POST ${alert.links.api}/ack`] : []),
      ],
      keywords: [alert.severity, alert.kind, event, ...(alert.org ? [alert.org] : [])],
    },
    metadata: {
      threadId: alert.id,
      summary: alert.title,
      eventType: `stepwise.alert.${event}`,
      relatedResources: [alert.links.api],
      additionalContext: {
        alertId: alert.id,
        dedupKey: alert.dedupKey,
        kind: alert.kind,
        severity: alert.severity,
        state: alert.state,
        count: String(alert.count),
        ...(alert.org && { org: alert.org }),
      },
    },
  };
}

export function alertNotification(message: AlertMessage): TopicNotification {
  const { alert, event } = message;
  return {
    subject: alertSubject(message),
    json: message,
    email: alertEmailText(message),
    chat: alertChatNotification(message),
    attributes: {
      severity: alert.severity,
      kind: alert.kind,
      event,
      ...(alert.org && { org: alert.org }),
    },
  };
}

/** The alert topics by severity, from the deployment's resource config. */
export const topicsBySeverity = (topicArns: ResourceConfig['topicArns']): Record<Severity, string> => ({
  CRITICAL: topicArns.critical,
  WARNING: topicArns.warning,
  INFO: topicArns.info,
});

/** Publishes each message to the topic of its alert's severity. */
export function snsAlertPublisher(
  sns: Pick<SnsClient, 'send'>,
  topicArns: Readonly<Record<Severity, string>>,
): AlertPublisher {
  return async (message) => {
    await sns.send(
      new PublishCommand(notificationInput(topicArns[message.alert.severity], alertNotification(message))),
    );
  };
}
