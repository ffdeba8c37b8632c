// The local stack's console channel: every alert the notifier receives, printed as one line, so a
// developer running `npm start` sees alerts without configuring Slack or a webhook.
import type { AlertMessage } from './alert-notification';

export function consoleLine({ event, alert }: AlertMessage): string {
  const scope = alert.org ? ` org=${alert.org}` : '';
  const summary = alert.summary.replace(/\s+/g, ' ');
  return `[alert] ${alert.severity} ${event} ${alert.kind}${scope} "${alert.title}": ${summary} (id ${alert.id}, count ${alert.count})`;
}
