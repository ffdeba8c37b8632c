// Alert messages for the notifier's unit tests, as the publisher sends them.
import type { AlertMessage, AlertRecordView } from '../../../functions/shared/alerts/alert-notification';

export function alertMessage(
  alert: Partial<AlertRecordView> = {},
  event: AlertMessage['event'] = 'OPENED',
): AlertMessage {
  return {
    type: 'stepwise.alert',
    version: 1,
    event,
    alert: {
      id: '5b1f8a52-3c1e-4c55-9a0b-0f3cf2f6a1d2',
      dedupKey: 'ERROR_RATE#WF#acme#checkout',
      kind: 'ERROR_RATE',
      severity: 'CRITICAL',
      state: 'OPEN',
      title: 'Error rate 60% on checkout',
      summary: '6 of 10 tasks failed in the last 5 minutes',
      org: 'acme',
      workflow: 'checkout',
      value: 0.6,
      threshold: 0.5,
      firstSeenAt: '2026-11-27T12:00:00.000Z',
      lastSeenAt: '2026-11-27T12:00:00.000Z',
      count: 1,
      links: {
        api: 'https://api.example.com/admin/alerts/5b1f8a52-3c1e-4c55-9a0b-0f3cf2f6a1d2',
        console: 'https://console.example.com/alerts/5b1f8a52-3c1e-4c55-9a0b-0f3cf2f6a1d2',
      },
      ...alert,
    },
  };
}
