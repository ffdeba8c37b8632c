// What keeps tenants and stacks apart in IAM and events: state machine names carry the stack's own
// prefix (two stacks in one account and region do not see each other's machines, executions, events or
// workflow role), `lambda` steps reach only the allowlisted functions, and JWT settings need an audience.
import { describe, expect, it } from 'vitest';
import { stateMachineName } from '../../functions/shared/registry/state-machine-name';
import { buildApp } from '../../lib/app';
import {
  actionsOf,
  functionStatements,
  logicalId,
  resourcesOf,
  type Statement,
  type Synthesized,
  synthesize,
} from './synth';

const PSEUDO: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': 'eu-west-1',
  'AWS::AccountId': '123456789012',
};

/** A template value as a string, pseudo parameters filled in (other references left as `<ref>`). */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].map(render).join(join[0]);
  const ref = (value as { Ref?: string }).Ref;
  return ref !== undefined ? (PSEUDO[ref] ?? '<ref>') : '<ref>';
}

/** An IAM ARN pattern (`*` any run of characters) as a regular expression. */
const iamPattern = (pattern: string) =>
  new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.?+^$()[\]{}|\\]/g, '\\$&'))
      .join('.*')}$`,
  );

interface StatesScopes {
  /** Every Step Functions resource pattern in any IAM policy of the stack. */
  readonly iam: string[];
  /** The workflow role's aws:SourceArn pattern. */
  readonly trust: string;
  /** The execution status rule's state machine ARN prefix. */
  readonly rulePrefix: string;
}

function statesScopes(built: Synthesized): StatesScopes {
  const { template, stack } = built;
  const iam = Object.values(template.findResources('AWS::IAM::Policy'))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[])
    .flatMap(resourcesOf)
    .map(render)
    .filter((arn) => arn.includes(':states:'));
  const role = template.findResources('AWS::IAM::Role')[logicalId(stack, stack.workflows.role)];
  const trust = render(
    role?.Properties.AssumeRolePolicyDocument.Statement[0].Condition.ArnLike['aws:SourceArn'],
  );
  const rule =
    template.findResources('AWS::Events::Rule')[logicalId(stack, stack.workflows.executionStatusRule)];
  const rulePrefix = render(rule?.Properties.EventPattern.detail.stateMachineArn[0].prefix);
  return { iam, trust, rulePrefix };
}

const machineArn = (built: Synthesized, orgId: string, workflowId: string) =>
  `arn:aws:states:eu-west-1:123456789012:stateMachine:${stateMachineName(built.stack.stateMachinePrefix, orgId, workflowId, 1)}`;
const executionArn = (machine: string) => `${machine.replace(':stateMachine:', ':execution:')}:task-1`;

describe('two stacks in one account and region', () => {
  // The second name starts with the first: a plain `<stack name>*` pattern would match both.
  const stackA = () => synthesize({ stackName: 'Team' });
  const stackB = () => synthesize({ stackName: 'Team-dev' });

  it('scope every Step Functions permission, the workflow role and the status rule to their own machines', () => {
    for (const [own, other] of [
      [stackA(), stackB()],
      [stackB(), stackA()],
    ] as const) {
      const scopes = statesScopes(own);
      const ownMachine = machineArn(own, 'acme', 'etl');
      const otherMachine = machineArn(other, 'acme', 'etl');
      expect(scopes.iam.length).toBeGreaterThanOrEqual(2);
      for (const pattern of scopes.iam) {
        const target = pattern.includes(':execution:') ? executionArn : (arn: string) => arn;
        expect(target(ownMachine), pattern).toMatch(iamPattern(pattern));
        expect(target(otherMachine), pattern).not.toMatch(iamPattern(pattern));
      }
      expect(ownMachine).toMatch(iamPattern(scopes.trust));
      expect(otherMachine).not.toMatch(iamPattern(scopes.trust));
      expect(ownMachine.startsWith(scopes.rulePrefix)).toBe(true);
      expect(otherMachine.startsWith(scopes.rulePrefix)).toBe(false);
    }
  });

  it("pass the registry (which creates the state machines) its stack's prefix", () => {
    for (const built of [stackA(), stackB()]) {
      const registry =
        built.template.findResources('AWS::Lambda::Function')[
          logicalId(built.stack, built.stack.functions.registry)
        ];
      expect(registry?.Properties.Environment.Variables.STATE_MACHINE_PREFIX).toBe(
        built.stack.stateMachinePrefix,
      );
    }
    expect(stackA().stack.stateMachinePrefix).toBe('Team');
    expect(stackB().stack.stateMachinePrefix).toBe('Team-dev');
  });
});

describe('lambda steps', () => {
  const enrich = 'arn:aws:lambda:eu-west-1:123456789012:function:enrich';
  const score = 'arn:aws:lambda:eu-west-1:123456789012:function:score';
  const allowlist = { 'org-a': [enrich], 'org-b': [score, enrich] };

  const invokeStatements = (built: Synthesized, effect: Statement['Effect']) =>
    functionStatements(built, 'stepRunner').filter(
      (s) =>
        s.Effect === effect &&
        actionsOf(s).some((action) => action === 'lambda:InvokeFunction' || action === 'lambda:*'),
    );
  const invokeResources = (built: Synthesized) =>
    invokeStatements(built, 'Allow').flatMap((s) => resourcesOf(s).map(render));
  const build = (lambdaFunctions: unknown) => () =>
    buildApp({
      context: { 'aws:cdk:bundling-stacks': [], lambdaFunctions: JSON.stringify(lambdaFunctions) },
      env: {},
    }).app.synth();

  it('the step runner may invoke exactly the allowlisted functions, their versions and aliases', () => {
    const built = synthesize({ lambdaFunctions: JSON.stringify(allowlist) });
    expect(invokeResources(built).sort()).toEqual([enrich, `${enrich}:*`, score, `${score}:*`].sort());
    expect(invokeResources(built)).not.toContain('*');
  });

  it('the step runner may invoke nothing when no functions are allowlisted', () => {
    expect(invokeResources(synthesize())).toEqual([]);
  });

  it('the step runner and the registry get the allowlist to check steps against', () => {
    const built = synthesize({ lambdaFunctions: JSON.stringify(allowlist) });
    for (const fn of [built.stack.functions.stepRunner, built.stack.functions.registry]) {
      const resource = built.template.findResources('AWS::Lambda::Function')[logicalId(built.stack, fn)];
      expect(JSON.parse(resource?.Properties.Environment.Variables.LAMBDA_FUNCTIONS)).toEqual(allowlist);
    }
  });

  it("denies the step runner every one of the stack's own functions, by their exact ARNs", () => {
    const built = synthesize({ lambdaFunctions: JSON.stringify(allowlist) });
    const denied = invokeStatements(built, 'Deny').flatMap(resourcesOf);
    const own = Object.values(built.stack.functions).flatMap((fn) => {
      const arn = { 'Fn::GetAtt': [logicalId(built.stack, fn), 'Arn'] };
      return [arn, { 'Fn::Join': ['', [arn, ':*']] }];
    });
    expect(denied).toHaveLength(own.length);
    expect(denied).toEqual(expect.arrayContaining(own));
    // Without an allowlist too: the Deny does not depend on what is allowed.
    expect(invokeStatements(synthesize(), 'Deny').flatMap(resourcesOf)).toHaveLength(own.length);
  });

  it("refuses an allowlist entry that names one of the stack's own functions", () => {
    const { stack } = synthesize();
    const api = `${stack.stackName}-${logicalId(stack, stack.functions.api)}-AbCdEf123456`;
    expect(build({ 'org-a': [enrich, `arn:aws:lambda:eu-west-1:123456789012:function:${api}`] })).toThrow(
      /lambdaFunctions\.org-a: .* is a function of this stack/,
    );
    // Another stack's functions are not this stack's.
    expect(build({ 'org-a': [`arn:aws:lambda:eu-west-1:123456789012:function:Other-${api}`] })).not.toThrow();
  });

  it("refuses an allowlist that would not fit in Lambda's 4 KB of environment variables", () => {
    const many = Array.from(
      { length: 40 },
      (_, i) => `arn:aws:lambda:eu-west-1:123456789012:function:customer-function-${i}`,
    );
    expect(build({ 'org-a': many })).toThrow(/over Lambda's limit of 4096 \(4 KB\).*LAMBDA_FUNCTIONS/);
    expect(build({ 'org-a': many.slice(0, 10) })).not.toThrow();
  });

  it('refuses an allowlist entry that is not an unqualified function ARN, naming the setting', () => {
    for (const bad of [
      '{"org-a":["*"]}',
      '{"org-a":["arn:aws:lambda:eu-west-1:123456789012:function:x:*"]}',
      'nope',
    ]) {
      expect(
        () => buildApp({ context: { 'aws:cdk:bundling-stacks': [], lambdaFunctions: bad }, env: {} }),
        bad,
      ).toThrow(/lambdaFunctions/);
    }
  });
});

describe('JWT settings', () => {
  const build = (context: Record<string, unknown>) => () =>
    buildApp({ context: { 'aws:cdk:bundling-stacks': [], ...context }, env: {} });

  it('require an audience whenever an issuer is set', () => {
    expect(build({ jwtIssuer: 'https://issuer.example.com/pool' })).toThrow(/jwtAudience/);
  });

  it('refuse claim settings without an issuer, and an org claim without a role claim', () => {
    expect(build({ jwtAudience: 'client-id' })).toThrow(/jwtIssuer/);
    expect(
      build({ jwtIssuer: 'https://issuer.example.com/pool', jwtAudience: 'client-id', jwtOrgClaim: 'org' }),
    ).toThrow(/jwtRoleClaim/);
  });

  it('take org and role from groups by default', () => {
    const built = synthesize({ jwtIssuer: 'https://issuer.example.com/pool', jwtAudience: 'client-id' });
    const authorizer =
      built.template.findResources('AWS::Lambda::Function')[
        logicalId(built.stack, built.stack.functions.authorizer)
      ];
    const env = authorizer?.Properties.Environment.Variables;
    expect(env).toMatchObject({
      AUTH_JWT_ISSUER: 'https://issuer.example.com/pool',
      AUTH_JWT_AUDIENCE: 'client-id',
    });
    expect(env.AUTH_JWT_ORG_CLAIM).toBeUndefined();
  });
});
