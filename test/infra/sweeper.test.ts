// The worker sweeper in the template: its schedule, the dead-worker setting its code, the workers function
// and the api (GET /admin/health) read, and exactly the permissions a sweep needs (in the sweeper, and in
// the workers function for POST /admin/workers/cleanup; the api, which runs no sweep, publishes no alert).
import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { StepwiseStack } from '../../lib/stepwise-stack';
import {
  actionsOf,
  allowedActionsOn,
  functionStatements,
  logicalId,
  resourcesOf,
  type Synthesized,
  synthesize,
} from './synth';

const variable = (built: Synthesized, name: 'sweeper' | 'workers' | 'api', key: string) =>
  built.template.findResources('AWS::Lambda::Function')[logicalId(built.stack, built.stack.functions[name])]
    ?.Properties.Environment.Variables[key];

describe('the worker sweeper', () => {
  let built: Synthesized;
  let stack: StepwiseStack;
  let template: Template;
  beforeAll(() => {
    built = synthesize();
    ({ stack, template } = built);
  });

  it('runs every minute on an EventBridge schedule', () => {
    const rules = Object.values(template.findResources('AWS::Events::Rule')).filter((rule) =>
      JSON.stringify(rule.Properties.Targets).includes(logicalId(stack, stack.functions.sweeper)),
    );
    expect(rules.map((rule) => rule.Properties.ScheduleExpression)).toEqual(['rate(1 minute)']);
    expect(rules[0]?.Properties.State).toBe('ENABLED');
  });

  it('reads and writes the table without Scan', () => {
    const tableArn = { 'Fn::GetAtt': [logicalId(stack, stack.data.table), 'Arn'] };
    const actions = allowedActionsOn(functionStatements(built, 'sweeper'), tableArn);
    expect(actions).toEqual(
      expect.arrayContaining(['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:UpdateItem']),
    );
    expect(actions).not.toContain('dynamodb:Scan');
  });

  it.each(['sweeper', 'workers'] as const)(
    '%s may fail task tokens and publish to the critical topic (the sweeper, whose alert rules raise every severity, to all three)',
    (name) => {
      const statements = functionStatements(built, name);
      // SendTask* have no resource-level permissions; nothing else but X-Ray is granted on *.
      const onAnything = new Set(
        allowedActionsOn(statements, '*').filter(
          (action) => !action.startsWith('xray:') && !action.startsWith('states:List'),
        ),
      );
      expect([...onAnything].sort()).toEqual(['states:SendTaskFailure']);
      const { critical, warning, info } = stack.messaging.topics;
      const allowed = name === 'sweeper' ? [critical, warning, info] : [critical];
      for (const topic of [critical, warning, info]) {
        expect(allowedActionsOn(statements, { Ref: logicalId(stack, topic) })).toEqual(
          allowed.includes(topic) ? ['sns:Publish'] : [],
        );
      }
      // Publishing anywhere else would be a wider grant: every sns:Publish names one of those topics
      // (approval notifications go to the info topic from the step runner, not the api).
      const publishTo = statements
        .filter((s) => s.Effect === 'Allow' && actionsOf(s).includes('sns:Publish'))
        .flatMap(resourcesOf);
      const byRef = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));
      expect(publishTo.sort(byRef)).toEqual(
        allowed.map((topic) => ({ Ref: logicalId(stack, topic) })).sort(byRef),
      );
    },
  );

  it.each(['sweeper', 'workers'] as const)(
    'grants the %s no SendTaskSuccess: it only fails tokens',
    (name) => {
      const allowed = functionStatements(built, name)
        .filter((s) => s.Effect === 'Allow')
        .flatMap(actionsOf);
      expect(allowed).not.toContain('states:SendTaskSuccess');
    },
  );

  it('grants the api no publish to any topic: it raises no alert', () => {
    const allowed = functionStatements(built, 'api')
      .filter((s) => s.Effect === 'Allow')
      .flatMap(actionsOf);
    expect(allowed).not.toContain('sns:Publish');
  });

  it('grants the api SendTaskSuccess (approval decisions) in one statement, on * as the action requires', () => {
    const granted = functionStatements(built, 'api').filter(
      (s) => s.Effect === 'Allow' && actionsOf(s).includes('states:SendTaskSuccess'),
    );
    expect(granted.flatMap(actionsOf)).toEqual(['states:SendTaskSuccess', 'states:SendTaskFailure']);
    expect(granted.flatMap(resourcesOf)).toEqual(['*']);
  });

  it("hands the sweeper every DLQ (DLQ_URLS: task events, alert deliveries, the step queues'; the worker types' it derives) and lets it read their depth", () => {
    const withWorkers = synthesize({ workerTypes: JSON.stringify([{ name: 'research', orgs: [] }]) });
    const { stack } = withWorkers;
    const { queues } = stack.messaging;
    const dlqs = [
      queues.taskEventsDlq,
      queues.alertDeliveriesDlq,
      queues.agentSteps.deadLetterQueue?.queue,
      ...Object.values(stack.workers.types).map((type) => type.deadLetterQueue),
    ].map((queue) => logicalId(stack, queue as NonNullable<typeof queue>));
    expect(dlqs).toHaveLength(4);
    const urls = JSON.stringify(variable(withWorkers, 'sweeper', 'DLQ_URLS'));
    // The worker types' DLQs come from WORKER_TYPES and WORKER_QUEUE_URL_PREFIX (workers.test.ts).
    for (const dlq of dlqs.slice(0, 3)) expect(urls).toContain(`"Ref":"${dlq}"`);
    expect(urls).not.toContain(`"Ref":"${dlqs[3]}"`);
    expect(urls).not.toContain(`"Ref":"${logicalId(stack, queues.agentSteps)}"`);
    const statements = functionStatements(withWorkers, 'sweeper');
    for (const dlq of dlqs) {
      expect(allowedActionsOn(statements, { 'Fn::GetAtt': [dlq, 'Arn'] })).toEqual([
        'sqs:GetQueueAttributes',
      ]);
    }
  });

  it.each(['sweeper', 'workers', 'api'] as const)(
    'hands the %s WORKER_DEAD_AFTER_SECONDS, 300 by default',
    (name) => {
      expect(variable(built, name, 'WORKER_DEAD_AFTER_SECONDS')).toBe('300');
    },
  );

  it('takes workerDeadAfterSeconds from context, and refuses a bad one at synth naming it', () => {
    expect(
      variable(synthesize({ workerDeadAfterSeconds: '120' }), 'sweeper', 'WORKER_DEAD_AFTER_SECONDS'),
    ).toBe('120');
    expect(() => synthesize({ workerDeadAfterSeconds: '0' })).toThrow(
      /workerDeadAfterSeconds must be a whole number/,
    );
  });

  it('refuses a workerDeadAfterSeconds below two workerHeartbeatSeconds (30 by default) at synth, naming both', () => {
    expect(() => synthesize({ workerDeadAfterSeconds: '45' })).toThrow(
      "workerDeadAfterSeconds (45 s) must be at least twice the workers' heartbeat interval (30 s, workerHeartbeatSeconds): one late heartbeat would mark a live worker DEAD",
    );
    expect(() => synthesize({ workerDeadAfterSeconds: '39', workerHeartbeatSeconds: '20' })).toThrow(
      /workerDeadAfterSeconds \(39 s\) must be at least twice .* \(20 s, workerHeartbeatSeconds\)/,
    );
    expect(
      variable(
        synthesize({ workerDeadAfterSeconds: '40', workerHeartbeatSeconds: '20' }),
        'sweeper',
        'WORKER_DEAD_AFTER_SECONDS',
      ),
    ).toBe('40');
  });
});
