// The facts every alert notification shows, in the order a person reads them: one list that the email,
// the Amazon Q chat notification (publish-alert.ts) and the Slack message (slack-message.ts) each render
// in their own markup, followed by as much of the alert's history as the format has room for.
import type { AlertRecord } from './alert';

export type AlertFact = readonly [label: string, value: string];

export const definedFacts = (facts: [string, string | undefined][]): AlertFact[] =>
  facts.filter((fact): fact is [string, string] => fact[1] !== undefined);

/** What the alert is about: its kind and severity, where it happened, and the value against its threshold. */
export function alertFacts(alert: AlertRecord): AlertFact[] {
  return definedFacts([
    ['Kind', alert.kind],
    ['Severity', alert.severity],
    ['Organization', alert.org],
    ['Workflow', alert.workflow],
    ['Task', alert.task],
    ['Step', alert.step],
    ['Worker', alert.worker],
    [
      'Value',
      alert.value === undefined
        ? undefined
        : `${alert.value}${alert.threshold === undefined ? '' : ` (threshold ${alert.threshold})`}`,
    ],
  ]);
}

/** `1 time`, `3 times`. */
export const timesSeen = (count: number) => `${count} time${count === 1 ? '' : 's'}`;
