// The alert channel grants and wiring: the api writes channel secrets and the notifier reads them, only
// under this stack's alert-channels/ prefix; the notifier parks deliveries in its DLQ and sees the
// outbound allowlist that channel URLs share with `http` steps.
import { beforeAll, describe, expect, it } from 'vitest';
import type { StepwiseFunction } from '../../lib/stepwise-function';
import { logicalId, type Synthesized, synthesize } from './synth';

function variables(built: Synthesized, fn: StepwiseFunction): Record<string, unknown> {
  const resource = built.template.findResources('AWS::Lambda::Function')[logicalId(built.stack, fn)];
  return resource?.Properties.Environment.Variables ?? {};
}

/** The statements of every policy attached to a function's role. */
function statements(built: Synthesized, fn: StepwiseFunction): Record<string, unknown>[] {
  const roleId = logicalId(built.stack, fn.role as never);
  return Object.values(built.template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Record<string, unknown>[]);
}

/** A resource ARN (a Fn::Join of strings and pseudo parameters) as one string, `{...}` for the tokens. */
const arnText = (resource: unknown) =>
  ((resource as { 'Fn::Join': [string, unknown[]] })['Fn::Join']?.[1] ?? [resource])
    .map((part) => (typeof part === 'string' ? part : '{token}'))
    .join('');

describe('alert channels', () => {
  let built: Synthesized;
  beforeAll(() => {
    built = synthesize({ outboundAllowedHosts: 'hooks.internal.example.com' });
  });

  it('lets the alerts function write channel secrets, and the notifier read them, only under the alert-channels prefix', () => {
    const { alerts, api, alertNotifier } = built.stack.functions;
    const secretActions = (fn: StepwiseFunction) =>
      statements(built, fn).filter((statement) =>
        JSON.stringify(statement.Action).includes('secretsmanager:'),
      );
    expect(secretActions(alerts)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: expect.arrayContaining([
            'secretsmanager:CreateSecret',
            'secretsmanager:PutSecretValue',
            'secretsmanager:DeleteSecret',
          ]),
        }),
      ]),
    );
    const notifierSecrets = secretActions(alertNotifier);
    expect(notifierSecrets).toEqual([expect.objectContaining({ Action: 'secretsmanager:GetSecretValue' })]);
    for (const statement of [
      ...notifierSecrets,
      ...secretActions(alerts).filter((s) => JSON.stringify(s.Action).includes('CreateSecret')),
    ]) {
      expect(arnText(statement.Resource)).toMatch(/:secret:stepwise\/[^/*]+\/alert-channels\/\*$/);
    }
    expect(variables(built, alerts).ALERT_SECRET_PREFIX).toMatch(/^stepwise\//);
    // The api serves no channel route: it may not touch channel secrets.
    expect(JSON.stringify(secretActions(api))).not.toContain('alert-channels');
    expect(variables(built, api)).not.toHaveProperty('ALERT_SECRET_PREFIX');
  });

  it('wires the notifier to its DLQ, the API base URL and the outbound allowlist', () => {
    const { alertNotifier, alerts, api } = built.stack.functions;
    const env = variables(built, alertNotifier);
    expect(env).toMatchObject({
      ALERT_DELIVERIES_DLQ_URL: {
        Ref: logicalId(built.stack, built.stack.messaging.queues.alertDeliveriesDlq),
      },
      OUTBOUND_ALLOWED_HOSTS: 'hooks.internal.example.com',
    });
    expect(env).toHaveProperty('API_BASE_URL');
    expect(variables(built, alerts).OUTBOUND_ALLOWED_HOSTS).toBe('hooks.internal.example.com');
    // The api checks no channel URL since the channel routes left it.
    expect(variables(built, api)).not.toHaveProperty('OUTBOUND_ALLOWED_HOSTS');
    expect(statements(built, alertNotifier)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Action: expect.arrayContaining(['sqs:SendMessage']) }),
      ]),
    );
  });
});
