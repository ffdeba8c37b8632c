// GET/PUT /admin/alert-rules: the thresholds alert rules use, per deployment < org < workflow. OWNER and
// ADMIN read and set their own organization's levels (org, and workflows in it); an OPERATOR names the
// org (`org`) or, with none, reads and sets the deployment level. Reads are GetItems of the levels asked
// for; the answer is the rules in force there plus what each level sets.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import {
  type AlertRules,
  type AlertRulesLevel,
  AlertRulesLevelSchema,
  effectiveRules,
  levelProblems,
  type RuleLevel,
} from '../alerts/rules/rule-config';
import { type AlertRulesStore, levelSk, type StoredLevel } from '../alerts/rules/rule-config-store';
import type { Identity } from '../auth/identity';
import { orgScope } from '../auth/org-scope';
import { jsonResponse, NotFoundError, ValidationError } from '../http/errors';
import { parseJsonBody } from '../http/json-body';
import { OrgRequiredError } from '../tasks/task-listing';
import * as z from '../zod-mini';
import type { AlertRouteDeps } from './alerting-routes';
import type { ApiOperation } from './api-routes';
import { noQuery, OrgQuery, parseWith, WorkflowIdParam } from './request';

const RulesQuery = z.strictObject({ org: z.optional(OrgQuery), workflow: z.optional(WorkflowIdParam) });
const PutRulesBody = z.strictObject({
  org: z.optional(OrgQuery),
  workflow: z.optional(WorkflowIdParam),
  rules: AlertRulesLevelSchema,
});

/** The levels a request reaches, most general first; the last is the one a PUT writes. */
function levelsOf(identity: Identity, org: string | undefined, workflow: string | undefined): RuleLevel[] {
  const orgId = orgScope(identity, org);
  if (orgId === undefined) {
    if (workflow !== undefined) throw new OrgRequiredError('workflow');
    return [{ scope: 'deployment' }];
  }
  const levels: RuleLevel[] = [{ scope: 'deployment' }, { scope: 'org', orgId }];
  if (workflow !== undefined) levels.push({ scope: 'workflow', orgId, workflowId: workflow });
  return levels;
}

const levelView = (level: RuleLevel, stored: StoredLevel | undefined) => ({
  level: level.scope,
  ...(level.scope !== 'deployment' && { org: level.orgId }),
  ...(level.scope === 'workflow' && { workflow: level.workflowId }),
  rules: stored?.rules ?? {},
  ...(stored && { updatedAt: stored.updatedAt, updatedBy: stored.updatedBy }),
});

async function rulesResponse(store: AlertRulesStore, levels: readonly RuleLevel[]) {
  const stored = await Promise.all(levels.map((level) => store.get(level)));
  const last = levels[levels.length - 1] as RuleLevel;
  return jsonResponse(200, {
    ...(last.scope !== 'deployment' && { org: last.orgId }),
    ...(last.scope === 'workflow' && { workflow: last.workflowId }),
    effective: effectiveRules(...stored.map((level) => level?.rules)),
    levels: levels.map((level, index) => levelView(level, stored[index])),
  });
}

const query = (event: APIGatewayProxyEventV2) => event.queryStringParameters ?? {};

/** The level a request reads or writes, the last of its levels; a workflow that does not exist is a 404. */
async function targetLevel(levels: RuleLevel[], deps: Pick<AlertRouteDeps, 'registry'>): Promise<RuleLevel> {
  const target = levels[levels.length - 1] as RuleLevel;
  if (target.scope === 'workflow') {
    const summary = await deps.registry.store.getSummary(target.orgId, target.workflowId);
    if (!summary) throw new NotFoundError(`Workflow ${target.workflowId} not found`);
  }
  return target;
}

const inverted = ({ errorRate }: AlertRules) => errorRate.criticalAbove < errorRate.warningAbove;
const levelName = (level: RuleLevel) => {
  if (level.scope === 'deployment') return 'the deployment';
  return level.scope === 'workflow'
    ? `workflow ${level.workflowId} of org ${level.orgId}`
    : `org ${level.orgId}`;
};

/**
 * The configured levels below `target` whose thresholds this change would invert once merged (CRITICAL
 * below WARNING), as the level's own check says it; an inversion already there is not this change's. The
 * check reads, then the PUT writes: two changes at two levels at the same instant can still invert one
 * (the error-rate rule then reads CRITICAL above criticalAbove, and never WARNING).
 */
async function levelsBelowProblems(
  store: AlertRulesStore,
  target: RuleLevel,
  rules: AlertRulesLevel,
): Promise<{ field: string; message: string }[]> {
  const book = await store.book();
  const before = new Map(
    book.levelsBelow(target).map(({ level, rules }) => [levelSk(level), inverted(rules)]),
  );
  // The threshold the body sets, or the level as a whole (a level cleared gives up its thresholds).
  const field =
    rules.errorRate?.warningAbove !== undefined
      ? 'rules.errorRate.warningAbove'
      : rules.errorRate?.criticalAbove !== undefined
        ? 'rules.errorRate.criticalAbove'
        : 'rules';
  return book
    .with(target, rules)
    .levelsBelow(target)
    .filter(({ level, rules: merged }) => inverted(merged) && before.get(levelSk(level)) !== true)
    .slice(0, 1)
    .map(({ level, rules: merged }) => ({
      field,
      message: `${field}: ${levelName(level)} would have criticalAbove (${merged.errorRate.criticalAbove}) below warningAbove (${merged.errorRate.warningAbove}) once the levels are merged`,
    }));
}

export const ALERT_RULE_OPERATIONS: Record<string, ApiOperation<AlertRouteDeps>> = {
  'GET /admin/alert-rules': async (event, identity, deps) => {
    const input = parseWith(RulesQuery, query(event), 'query');
    const levels = levelsOf(identity, input.org, input.workflow);
    await targetLevel(levels, deps);
    return rulesResponse(deps.alertRules, levels);
  },

  'PUT /admin/alert-rules': async (event, identity, deps) => {
    // The level is named in the body: a ?org= here would be ignored while it reads as the target.
    noQuery(event);
    const body = parseWith(PutRulesBody, parseJsonBody(event), 'body');
    // A tenant always writes within its own org (the body's org may only repeat it): never the deployment.
    const levels = levelsOf(identity, body.org, body.workflow);
    const target = await targetLevel(levels, deps);
    const above = await Promise.all(levels.slice(0, -1).map((level) => deps.alertRules.get(level)));
    const effective = effectiveRules(...above.map((level) => level?.rules), body.rules);
    const problems = levelProblems(target, body.rules, effective);
    if (problems.length === 0 && target.scope !== 'workflow') {
      problems.push(...(await levelsBelowProblems(deps.alertRules, target, body.rules)));
    }
    if (problems.length > 0) throw new ValidationError(`Invalid body: ${problems[0]?.message}`, problems);
    await deps.alertRules.put(target, body.rules, identity.principal, new Date().toISOString());
    return rulesResponse(deps.alertRules, levels);
  },
};
