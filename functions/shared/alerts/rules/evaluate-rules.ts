// Alert rule evaluation, run by the sweeper after the worker sweep: each rule reads what it needs (keys and
// indexes only, bounded per run), raises an alert per problem it sees and resolves the OPEN alerts of its
// kind whose condition cleared. Rules run one after the other, each isolated: one that throws is logged
// and counted, and the others still run.
import type { Alerting } from '../alerting';
import type { AlertRules } from './rule-config';
import type { RuleBook } from './rule-config-store';

/** What a rule raises and resolves through: the alerting service with the cooldown of the rules in force. */
export type RuleAlerting = Pick<Alerting, 'raise' | 'resolve' | 'open'>;

export interface RuleRun {
  readonly now: Date;
  readonly book: RuleBook;
  /** The alerting service for the rules in force where the problem is (their cooldownMinutes). */
  alerting(rules: AlertRules): RuleAlerting;
  /** A read several rules share, made once per run (the minute aggregates). */
  once<T>(key: string, load: () => Promise<T>): Promise<T>;
}

export interface RuleOutcome {
  readonly raised: number;
  readonly resolved: number;
  /** Problems seen that a read cap left out this run (the next run reads them). */
  readonly truncated?: boolean;
}

export interface AlertRule {
  /** The alert kind it raises, for logs and the report. */
  readonly name: string;
  evaluate(run: RuleRun): Promise<RuleOutcome>;
}

export interface RulesDeps {
  readonly loadBook: () => Promise<RuleBook>;
  readonly alertingFor: (cooldownSeconds: number) => RuleAlerting;
  readonly now: () => Date;
  readonly onError?: (error: unknown, rule: string) => void;
}

export interface RulesReport {
  readonly outcomes: Readonly<Record<string, RuleOutcome>>;
  /** Rules that threw. */
  readonly failed: readonly string[];
}

/** Runs every rule once over one read of the rule levels. */
export async function evaluateRules(rules: readonly AlertRule[], deps: RulesDeps): Promise<RulesReport> {
  const book = await deps.loadBook();
  const services = new Map<number, RuleAlerting>();
  const reads = new Map<string, Promise<unknown>>();
  const run: RuleRun = {
    now: deps.now(),
    book,
    alerting: (inForce) => {
      const seconds = inForce.cooldownMinutes * 60;
      let service = services.get(seconds);
      if (!service) {
        service = deps.alertingFor(seconds);
        services.set(seconds, service);
      }
      return service;
    },
    once: <T>(key: string, load: () => Promise<T>) => {
      let read = reads.get(key) as Promise<T> | undefined;
      if (!read) {
        read = load();
        reads.set(key, read);
      }
      return read;
    },
  };
  const outcomes: Record<string, RuleOutcome> = {};
  const failed: string[] = [];
  for (const rule of rules) {
    try {
      outcomes[rule.name] = await rule.evaluate(run);
    } catch (error) {
      failed.push(rule.name);
      deps.onError?.(error, rule.name);
    }
  }
  return { outcomes, failed };
}

/**
 * Resolves the OPEN alerts of a kind whose key is not among `firing` (their condition cleared), unless the
 * read that found the firing ones was cut short: then an alert not seen may still hold, and waits.
 */
export async function resolveCleared(
  alerting: RuleAlerting,
  kind: Parameters<RuleAlerting['open']>[0],
  firing: ReadonlySet<string>,
  summaryOf: (dedupKey: string) => string,
  truncated = false,
): Promise<number> {
  if (truncated) return 0;
  let resolved = 0;
  for (const alert of await alerting.open(kind)) {
    if (firing.has(alert.dedupKey)) continue;
    if (await alerting.resolve(alert.dedupKey, summaryOf(alert.dedupKey))) resolved++;
  }
  return resolved;
}
