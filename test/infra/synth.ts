// Builds the stepwise stack once per context for all infra files (they share a worker, vitest.config.ts),
// without bundling or schema validation: the templates are what these tests check, and the bundles are
// built (once) by bundling.test.ts. The cached stacks are read, never changed: a test that adds to a stack
// builds an app of its own. Also: helpers that look resources up by the constructs that made them, rather
// than by guessed logical ids.
import { CfnElement, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { type BuiltApp, buildApp } from '../../lib/app';
import type { StepwiseStack } from '../../lib/stepwise-stack';

export interface Synthesized extends BuiltApp {
  readonly template: Template;
}

const cache = new Map<string, Synthesized>();

/** The synthesized stack for `context`; environment-agnostic, bundling skipped. */
export function synthesize(context: Record<string, unknown> = {}): Synthesized {
  const key = JSON.stringify(context);
  let built = cache.get(key);
  if (!built) {
    const app = buildApp({
      context: { 'aws:cdk:bundling-stacks': [], ...context },
      env: {},
      // Schema validation takes seconds per synthesis; bundling.test.ts runs the one full synthesis.
      builtinCloudFormationValidation: false,
    });
    built = { ...app, template: Template.fromStack(app.stack) };
    cache.set(key, built);
  }
  return built;
}

/** The logical id of a construct's CloudFormation resource (the construct itself or its default child). */
export function logicalId(stack: Stack, construct: IConstruct): string {
  const element = construct instanceof CfnElement ? construct : construct.node.defaultChild;
  if (!(element instanceof CfnElement))
    throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return stack.getLogicalId(element);
}

export interface Statement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Sid?: string;
  readonly Condition?: unknown;
}

/** Every statement of every AWS::IAM::Policy attached to the role with this logical id. */
export function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((policy) =>
      (policy.Properties.Roles as unknown[]).some((role) => (role as { Ref?: string }).Ref === roleLogicalId),
    )
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

export const actionsOf = (statement: Statement): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];

export const resourcesOf = (statement: Statement): unknown[] =>
  Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];

/** The statements of a stepwise function's execution role. */
export function functionStatements(built: Synthesized, name: keyof StepwiseStack['functions']): Statement[] {
  const role = built.stack.functions[name].role;
  if (!role) throw new Error(`${name} has no role`);
  return statementsOfRole(built.template, logicalId(built.stack, role));
}

/** All actions a statement list allows on a resource (compared as resolved CloudFormation values). */
export function allowedActionsOn(statements: Statement[], resource: unknown): string[] {
  const wanted = JSON.stringify(resource);
  return statements
    .filter((s) => s.Effect === 'Allow' && resourcesOf(s).some((r) => JSON.stringify(r) === wanted))
    .flatMap(actionsOf);
}
