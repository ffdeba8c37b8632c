// An alert as a Slack incoming-webhook message in Block Kit: a header that leads with the severity (or
// RESOLVED, so an all-clear reads as one at a glance), the summary, the alert's key fields, and buttons
// to the console and the API. `text` is the fallback Slack shows in notifications. Text is cut to Block
// Kit's limits (header 150, field 2000, button 75 characters) so a long title never makes Slack refuse
// the message.
import type { Severity } from '../resources';
import type { AlertEvent, AlertMessage } from './alert';
import { alertFacts, definedFacts, timesSeen } from './alert-facts';

const SEVERITY_MARK: Record<Severity, string> = {
  CRITICAL: ':red_circle: CRITICAL',
  WARNING: ':large_orange_circle: WARNING',
  INFO: ':large_blue_circle: INFO',
};

const EVENT_NOTE: Record<AlertEvent, string> = {
  OPENED: 'New alert',
  ESCALATED: 'Escalated',
  REMINDER: 'Still open',
  RESOLVED: 'Resolved',
};

/** At most `max` UTF-16 units, ending in an ellipsis when cut; never between the halves of an emoji. */
const cut = (text: string, max: number) => {
  if (text.length <= max) return text;
  const end = /[\uD800-\uDBFF]/.test(text.charAt(max - 2)) ? max - 2 : max - 1;
  return `${text.slice(0, end)}…`;
};

/** Characters Slack's mrkdwn treats as control characters, escaped as its docs ask. */
const escapeMrkdwn = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const isHttpUrl = (value: string | undefined): value is string =>
  value !== undefined && /^https?:\/\//.test(value) && value.length <= 3000;

export interface SlackMessage {
  readonly text: string;
  readonly blocks: readonly Record<string, unknown>[];
}

export function slackMessage({ event, alert }: AlertMessage): SlackMessage {
  const resolved = event === 'RESOLVED';
  const mark = resolved ? ':white_check_mark: RESOLVED' : SEVERITY_MARK[alert.severity];
  // Block Kit takes 10 fields in a section: the facts, then how often it was seen and when it resolved.
  const fields = [
    ...alertFacts(alert),
    ...definedFacts([
      ['Seen', `${timesSeen(alert.count)} since ${alert.firstSeenAt}`],
      ['Resolved at', alert.resolvedAt],
    ]),
  ];
  const buttons = [
    ['Open in console', alert.links.console],
    ['View in API', alert.links.api],
  ].filter((entry): entry is [string, string] => isHttpUrl(entry[1]));
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: cut(`${mark}: ${alert.title}`, 150), emoji: true } },
    { type: 'section', text: { type: 'mrkdwn', text: cut(escapeMrkdwn(alert.summary), 3000) } },
    {
      type: 'section',
      fields: fields.slice(0, 10).map(([label, value]) => ({
        type: 'mrkdwn',
        text: cut(`*${label}*\n${escapeMrkdwn(value)}`, 2000),
      })),
    },
    {
      type: 'context',
      elements: [{ type: 'mrkdwn', text: cut(`${EVENT_NOTE[event]} · alert ${alert.id} · stepwise`, 2000) }],
    },
  ];
  if (buttons.length > 0) {
    blocks.push({
      type: 'actions',
      elements: buttons.map(([label, url], index) => ({
        type: 'button',
        text: { type: 'plain_text', text: label },
        url,
        action_id: `stepwise-alert-link-${index}`,
        ...(index === 0 && !resolved && alert.severity === 'CRITICAL' && { style: 'danger' }),
      })),
    });
  }
  return { text: cut(`${resolved ? 'RESOLVED' : alert.severity}: ${alert.title}`, 3000), blocks };
}
