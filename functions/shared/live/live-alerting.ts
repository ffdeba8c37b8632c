// An Alerting service that publishes each change of an alert it recorded: OPENED, ESCALATED, REMINDER and
// RESOLVED (as the alert topics are told) and ACKNOWLEDGED. An alert without an org reaches operators only.
import type { AlertRecord } from '../alerts/alert';
import type { Alerting } from '../alerts/alerting';
import type { AlertLiveChange } from './live-event';
import type { LivePublisher } from './publisher';

export function liveAlerting(
  alerting: Alerting,
  live: LivePublisher,
  now: () => Date = () => new Date(),
): Alerting {
  const publish = (event: AlertLiveChange, alert: AlertRecord) =>
    live.publish({
      kind: 'alert',
      ...(alert.org !== undefined && { org: alert.org }),
      event,
      alert,
      at: now().toISOString(),
    });
  return {
    ...alerting,
    async raise(signal) {
      const result = await alerting.raise(signal);
      if (result.event) publish(result.event, result.alert);
      return result;
    },
    async resolve(dedupKey, summary) {
      const resolved = await alerting.resolve(dedupKey, summary);
      if (resolved) publish('RESOLVED', resolved);
      return resolved;
    },
    async acknowledge(id, by) {
      const acknowledged = await alerting.acknowledge(id, by);
      if (acknowledged) publish('ACKNOWLEDGED', acknowledged);
      return acknowledged;
    },
  };
}
