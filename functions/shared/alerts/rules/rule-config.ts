// Alert rule configuration: thresholds set per deployment, per organization and per workflow, each level a
// partial of AlertRules that overrides the one above it field by field (deployment < org < workflow), over
// the built-in defaults (ARCHITECTURE.md "Defaults"). Validated at the edge with strict schemas, so a typo
// in a field name is a 400 naming it rather than a rule silently left at its default.
import * as z from '../../zod-mini';

export const TASK_FAILED_SEVERITIES = ['OFF', 'INFO', 'WARNING', 'CRITICAL'] as const;
export type TaskFailedSeverity = (typeof TASK_FAILED_SEVERITIES)[number];

export interface AlertRules {
  /** Failed share of the tasks settled in the window, per workflow and per org. */
  readonly errorRate: {
    readonly enabled: boolean;
    readonly windowMinutes: number;
    readonly minTasks: number;
    readonly warningAbove: number;
    readonly criticalAbove: number;
  };
  /** p95 of the task durations settled in the window, per workflow. */
  readonly slowTasks: {
    readonly enabled: boolean;
    readonly windowMinutes: number;
    readonly minTasks: number;
    readonly p95AboveMs: number;
  };
  /** A step RUNNING (or a task PENDING) past this; unset: the step's timeout plus a minute, else 15 min. */
  readonly stuck: { readonly enabled: boolean; readonly afterMinutes?: number };
  /** A step of a running task at this many attempts or more. */
  readonly retrying: { readonly enabled: boolean; readonly attempts: number };
  readonly taskFailed: { readonly severity: TaskFailedSeverity };
  /** Deployment level only: the DLQs are the deployment's. */
  readonly dlq: { readonly enabled: boolean };
  /** A repeat of an OPEN alert is notified again (REMINDER) at most this often. */
  readonly cooldownMinutes: number;
}

export const DEFAULT_ALERT_RULES: AlertRules = {
  errorRate: { enabled: true, windowMinutes: 5, minTasks: 10, warningAbove: 0.2, criticalAbove: 0.5 },
  slowTasks: { enabled: true, windowMinutes: 5, minTasks: 10, p95AboveMs: 1000 },
  stuck: { enabled: true },
  retrying: { enabled: true, attempts: 3 },
  taskFailed: { severity: 'INFO' },
  dlq: { enabled: true },
  cooldownMinutes: 60,
};

/** When `stuck.afterMinutes` is unset: a step's timeout plus this margin, or FALLBACK for a PENDING task. */
export const STUCK_MARGIN_MINUTES = 1;
export const STUCK_FALLBACK_MINUTES = 15;
/** The aggregate windows read minute items: one Query per minute, so a window stays short. */
export const MAX_WINDOW_MINUTES = 60;

const Share = z.number().check(z.minimum(0), z.maximum(1));
const WindowMinutes = z.int().check(z.minimum(1), z.maximum(MAX_WINDOW_MINUTES));
const MinTasks = z.int().check(z.minimum(1), z.maximum(1_000_000));
const Enabled = z.optional(z.boolean());

/** One level's settings: every field optional, unknown ones refused. */
export const AlertRulesLevelSchema = z.strictObject({
  errorRate: z.optional(
    z.strictObject({
      enabled: Enabled,
      windowMinutes: z.optional(WindowMinutes),
      minTasks: z.optional(MinTasks),
      warningAbove: z.optional(Share),
      criticalAbove: z.optional(Share),
    }),
  ),
  slowTasks: z.optional(
    z.strictObject({
      enabled: Enabled,
      windowMinutes: z.optional(WindowMinutes),
      minTasks: z.optional(MinTasks),
      p95AboveMs: z.optional(z.int().check(z.minimum(1), z.maximum(86_400_000))),
    }),
  ),
  stuck: z.optional(
    z.strictObject({
      enabled: Enabled,
      // Fractions allowed (0.5 = 30 s), down to 3 s: tests and short steps.
      afterMinutes: z.optional(z.number().check(z.minimum(0.05), z.maximum(10_080))),
    }),
  ),
  retrying: z.optional(
    z.strictObject({
      enabled: Enabled,
      attempts: z.optional(z.int().check(z.minimum(2), z.maximum(100))),
    }),
  ),
  taskFailed: z.optional(z.strictObject({ severity: z.optional(z.enum(TASK_FAILED_SEVERITIES)) })),
  dlq: z.optional(z.strictObject({ enabled: Enabled })),
  cooldownMinutes: z.optional(z.int().check(z.minimum(0), z.maximum(10_080))),
});
export type AlertRulesLevel = z.infer<typeof AlertRulesLevelSchema>;

/** Where a level's settings apply. */
export type RuleLevel =
  | { readonly scope: 'deployment' }
  | { readonly scope: 'org'; readonly orgId: string }
  | { readonly scope: 'workflow'; readonly orgId: string; readonly workflowId: string };

type Sections = Omit<AlertRules, 'cooldownMinutes'>;

/** Overrides `base` with every field `level` sets. */
export function applyLevel(base: AlertRules, level: AlertRulesLevel | undefined): AlertRules {
  if (!level) return base;
  const merged: Record<string, unknown> = { ...base };
  for (const [name, value] of Object.entries(level)) {
    if (value === undefined) continue;
    merged[name] =
      typeof value === 'object'
        ? { ...base[name as keyof Sections], ...definedOf(value as Record<string, unknown>) }
        : value;
  }
  return merged as unknown as AlertRules;
}

const definedOf = (value: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));

/** The rules in force under these levels, most general first. */
export const effectiveRules = (...levels: (AlertRulesLevel | undefined)[]): AlertRules =>
  levels.reduce<AlertRules>(applyLevel, DEFAULT_ALERT_RULES);

/**
 * What a level may not say on its own, as `{ field, message }` (fields under `rules.`): DLQs are the
 * deployment's, and the thresholds in force must keep CRITICAL at or above WARNING.
 */
export function levelProblems(
  level: RuleLevel,
  settings: AlertRulesLevel,
  effective: AlertRules,
): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  if (level.scope !== 'deployment' && settings.dlq !== undefined) {
    problems.push({
      field: 'rules.dlq',
      message: 'rules.dlq: the DLQs are the deployment’s; set dlq at the deployment level (OPERATOR)',
    });
  }
  const { warningAbove, criticalAbove } = effective.errorRate;
  if (criticalAbove < warningAbove) {
    const field =
      settings.errorRate?.criticalAbove !== undefined
        ? 'rules.errorRate.criticalAbove'
        : 'rules.errorRate.warningAbove';
    problems.push({
      field,
      message: `${field}: criticalAbove (${criticalAbove}) must be at least warningAbove (${warningAbove}) once the levels are merged`,
    });
  }
  return problems;
}
