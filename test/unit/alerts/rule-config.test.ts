// Alert rule levels: merged field by field (deployment < org < workflow) over the defaults, what a level
// may not say, the bounds the sweeper reads by, and the step timeouts the stuck rule starts from.
import { describe, expect, it } from 'vitest';
import { describeError } from '../../../functions/shared/alerts/rules/retrying-step-rule';
import {
  DEFAULT_ALERT_RULES,
  effectiveRules,
  levelProblems,
} from '../../../functions/shared/alerts/rules/rule-config';
import { levelSk, RuleBook } from '../../../functions/shared/alerts/rules/rule-config-store';
import { stepTimeoutSeconds } from '../../../functions/shared/alerts/rules/step-timeouts';

describe('alert rule levels', () => {
  it('override the defaults field by field, the most specific level last', () => {
    const rules = effectiveRules(
      { errorRate: { windowMinutes: 10 }, cooldownMinutes: 30 },
      { errorRate: { minTasks: 20 } },
      { errorRate: { minTasks: 4 }, taskFailed: { severity: 'OFF' } },
    );
    expect(rules.errorRate).toEqual({ ...DEFAULT_ALERT_RULES.errorRate, windowMinutes: 10, minTasks: 4 });
    expect(rules.taskFailed.severity).toBe('OFF');
    expect(rules.cooldownMinutes).toBe(30);
    expect(rules.slowTasks).toEqual(DEFAULT_ALERT_RULES.slowTasks);
  });

  it('refuse dlq below the deployment and a CRITICAL threshold under the WARNING one once merged', () => {
    const org = { scope: 'org', orgId: 'acme' } as const;
    expect(levelProblems(org, { dlq: { enabled: false } }, DEFAULT_ALERT_RULES).map((p) => p.field)).toEqual([
      'rules.dlq',
    ]);
    const lowered = { errorRate: { warningAbove: 0.6 } };
    expect(levelProblems(org, lowered, effectiveRules(lowered)).map((p) => p.field)).toEqual([
      'rules.errorRate.warningAbove',
    ]);
    expect(levelProblems({ scope: 'deployment' }, { dlq: { enabled: false } }, DEFAULT_ALERT_RULES)).toEqual(
      [],
    );
  });

  it('resolve per org and workflow from one book, and bound what any scope uses', () => {
    const book = new RuleBook(
      new Map([
        [levelSk({ scope: 'deployment' }), { stuck: { afterMinutes: 30 } }],
        [levelSk({ scope: 'org', orgId: 'acme' }), { errorRate: { windowMinutes: 15 } }],
        [
          levelSk({ scope: 'workflow', orgId: 'acme', workflowId: 'orders' }),
          { stuck: { afterMinutes: 0.5 } },
        ],
      ]),
    );
    expect(book.forWorkflow('acme', 'orders').stuck.afterMinutes).toBe(0.5);
    expect(book.forWorkflow('acme', 'other').stuck.afterMinutes).toBe(30);
    expect(book.forOrg('globex').errorRate.windowMinutes).toBe(5);
    expect(book.largest((rules) => rules.errorRate.windowMinutes)).toBe(15);
    expect(book.smallest((rules) => rules.stuck.afterMinutes)).toBe(0.5);
    expect(new RuleBook().smallest((rules) => rules.stuck.afterMinutes)).toBeUndefined();
  });
});

describe('step timeouts for the stuck rule', () => {
  const definition = {
    defaults: { timeoutSeconds: 120 },
    steps: [
      { id: 'fetch', type: 'http', timeoutSeconds: 30, params: {} },
      { id: 'plain', type: 'transform', params: {} },
      {
        id: 'each',
        type: 'map',
        items: '$.input.items',
        steps: [{ id: 'inner', type: 'agent', workerType: 'research', timeoutSeconds: 600 }],
      },
      { id: 'ok', type: 'approval', approvers: ['ADMIN'], message: 'ok?' },
    ],
  } as never;

  it('are the step’s, else the workflow default, at any depth; none for maps and approvals', () => {
    expect(stepTimeoutSeconds(definition, 'fetch')).toBe(30);
    expect(stepTimeoutSeconds(definition, 'plain')).toBe(120);
    expect(stepTimeoutSeconds(definition, 'inner')).toBe(600);
    expect(stepTimeoutSeconds(definition, 'each')).toBeUndefined();
    expect(stepTimeoutSeconds(definition, 'ok')).toBeUndefined();
    expect(stepTimeoutSeconds({ steps: [{ id: 'x', type: 'transform' }] } as never, 'x')).toBe(300);
  });

  it('name the last error with its cause on one line', () => {
    expect(describeError({ error: 'HttpServerError', cause: 'upstream\n  503' })).toBe(
      'HttpServerError: upstream 503',
    );
    expect(describeError(undefined)).toBe('no error recorded');
  });
});
