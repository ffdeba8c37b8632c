import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadResourceConfig } from '../../functions/shared/config';
import { FUNCTIONS, type FunctionName, TABLE } from '../../functions/shared/resources';
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

const names = Object.keys(FUNCTIONS) as FunctionName[];
const TABLE_WRITES = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];

function variables(built: Synthesized, name: FunctionName): Record<string, unknown> {
  const resource =
    built.template.findResources('AWS::Lambda::Function')[
      logicalId(built.stack, built.stack.functions[name])
    ];
  return resource?.Properties.Environment.Variables ?? {};
}

describe('functions', () => {
  let built: Synthesized;
  let stack: StepwiseStack;
  let template: Template;
  beforeAll(() => {
    built = synthesize();
    ({ stack, template } = built);
  });

  it('deploys one function per shape, besides the handlers CDK adds for the console deployment', () => {
    const ours = names.map((name) => logicalId(stack, stack.functions[name]));
    const all = Object.keys(template.findResources('AWS::Lambda::Function'));
    expect(all.filter((id) => ours.includes(id))).toHaveLength(names.length);
    // BucketDeployment's, AwsCustomResource's (the API's CORS) and the bucket's auto-delete handler.
    const cdkHandlers = [
      'CustomCDKBucketDeployment',
      'AWS679f53fac002430cb0da5b7982bd2287',
      'CustomS3AutoDeleteObjectsCustomResourceProviderHandler',
    ];
    expect(
      all
        .filter((id) => !ours.includes(id))
        .map((id) => cdkHandlers.find((prefix) => id.startsWith(prefix)) ?? id)
        .sort(),
    ).toEqual([...cdkHandlers].sort());
  });

  it.each(names)('%s runs on nodejs24.x/arm64 with its shape, without X-Ray unless tracing is on', (name) => {
    const shape = FUNCTIONS[name];
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: Match.absent(),
      Handler: 'index.handler',
      MemorySize: shape.memoryMb,
      Timeout: shape.timeoutSeconds,
      Description: shape.description,
      LoggingConfig: { LogGroup: { Ref: logicalId(stack, stack.functions[name].functionLogGroup) } },
    });
  });

  it.each(names)('%s logs to its own log group, kept one month', (name) => {
    const logGroup =
      template.findResources('AWS::Logs::LogGroup')[logicalId(stack, stack.functions[name].functionLogGroup)];
    expect(logGroup?.Properties).toMatchObject({ RetentionInDays: 30 });
  });

  it.each(names)('%s sees every shared resource and the Powertools settings', (name) => {
    const env = variables(built, name);
    expect(env).toMatchObject({
      POWERTOOLS_SERVICE_NAME: 'stepwise',
      POWERTOOLS_METRICS_NAMESPACE: 'stepwise',
      NODE_OPTIONS: '--enable-source-maps',
      TABLE_NAME: { Ref: logicalId(stack, stack.data.table) },
      AGENT_STEPS_QUEUE_URL: { Ref: logicalId(stack, stack.messaging.queues.agentSteps) },
      TASK_EVENTS_DLQ_URL: { Ref: logicalId(stack, stack.messaging.queues.taskEventsDlq) },
      CRITICAL_TOPIC_ARN: { Ref: logicalId(stack, stack.messaging.topics.critical) },
      WARNING_TOPIC_ARN: { Ref: logicalId(stack, stack.messaging.topics.warning) },
      INFO_TOPIC_ARN: { Ref: logicalId(stack, stack.messaging.topics.info) },
      WORKFLOW_ROLE_ARN: { 'Fn::GetAtt': [logicalId(stack, stack.workflows.role), 'Arn'] },
    });
    // The names functions/shared/config.ts reads are all there.
    expect(() =>
      loadResourceConfig(Object.fromEntries(Object.keys(env).map((key) => [key, 'set']))),
    ).not.toThrow();
  });

  it.each(names.filter((name) => name !== 'stepRunner'))('%s gets the step runner ARN', (name) => {
    expect(variables(built, name).STEP_RUNNER_ARN).toEqual({
      'Fn::GetAtt': [logicalId(stack, stack.functions.stepRunner), 'Arn'],
    });
  });

  it('configures the step runner for the openai provider by default, without an API key', () => {
    const env = variables(built, 'stepRunner');
    expect(env.LLM_PROVIDER).toBe('openai');
    expect(env.LLM_API_KEY_SECRET_ARN).toBeUndefined();
    expect(variables(built, 'authorizer').AUTH_JWT_ISSUER).toBeUndefined();
  });

  it('passes JWT and LLM settings from context, and lets the step runner read the API key secret', () => {
    const configured = synthesize({
      jwtIssuer: 'https://issuer.example.com/pool',
      jwtAudience: 'client-id',
      jwtJwksUri: 'https://issuer.example.com/keys',
      jwtOrgClaim: 'org',
      jwtRoleClaim: 'cognito:groups',
      llmProvider: 'bedrock',
      llmBaseUrl: 'https://llm.example.com/v1',
      llmDefaultModel: 'model-x',
      llmApiKeySecret: 'stepwise/llm-api-key',
      llmPrices: '{"bedrock:model-x":{"input":1,"output":2}}',
    });
    expect(variables(configured, 'authorizer')).toMatchObject({
      AUTH_JWT_ISSUER: 'https://issuer.example.com/pool',
      AUTH_JWT_AUDIENCE: 'client-id',
      AUTH_JWT_JWKS_URI: 'https://issuer.example.com/keys',
      AUTH_JWT_ORG_CLAIM: 'org',
      AUTH_JWT_ROLE_CLAIM: 'cognito:groups',
    });
    const env = variables(configured, 'stepRunner');
    expect(env).toMatchObject({
      LLM_PROVIDER: 'bedrock',
      LLM_BASE_URL: 'https://llm.example.com/v1',
      LLM_DEFAULT_MODEL: 'model-x',
      LLM_PRICES: '{"bedrock:model-x":{"input":1,"output":2}}',
    });
    expect(JSON.stringify(env.LLM_API_KEY_SECRET_ARN)).toContain(':secret:stepwise/llm-api-key');
    const secretActions = functionStatements(configured, 'stepRunner')
      .filter((s) => JSON.stringify(s.Resource).includes(':secret:stepwise/llm-api-key'))
      .flatMap(actionsOf);
    expect(secretActions).toContain('secretsmanager:GetSecretValue');
  });
});

it('refuses malformed llmPrices at synth, naming LLM_PRICES', () => {
  expect(() => synthesize({ llmPrices: '{"openai:m":{"input":"cheap","output":1}}' })).toThrow(
    /LLM_PRICES: openai:m.input/,
  );
});

describe('function permissions', () => {
  let built: Synthesized;
  let stack: StepwiseStack;
  let template: Template;
  let tableArn: { 'Fn::GetAtt': [string, 'Arn'] };
  let indexArns: unknown[];
  beforeAll(() => {
    built = synthesize();
    ({ stack, template } = built);
    tableArn = { 'Fn::GetAtt': [logicalId(stack, stack.data.table), 'Arn'] };
    indexArns = TABLE.globalSecondaryIndexes.map((index) => ({
      'Fn::Join': ['', [tableArn, `/index/${index.indexName}`]],
    }));
  });

  it('gives no function role a managed policy (no AWSLambdaBasicExecutionRole on every log group)', () => {
    for (const name of names) {
      const role = stack.functions[name].role;
      const resource = template.findResources('AWS::IAM::Role')[logicalId(stack, role ?? stack)];
      expect(resource?.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it.each(names)('%s may write only to its own log group', (name) => {
    const logGroupArn = { 'Fn::GetAtt': [logicalId(stack, stack.functions[name].functionLogGroup), 'Arn'] };
    expect(allowedActionsOn(functionStatements(built, name), logGroupArn)).toEqual(
      expect.arrayContaining(['logs:CreateLogStream', 'logs:PutLogEvents']),
    );
  });

  it.each([
    'api',
    'registry',
    'alerts',
    'workers',
    'stepRunner',
    'taskEvents',
    'reconciler',
    'aggregator',
  ] as const)('%s reads and writes the table and queries its indexes, without Scan', (name) => {
    const statements = functionStatements(built, name);
    for (const resource of [tableArn, ...indexArns]) {
      const actions = allowedActionsOn(statements, resource);
      expect(actions).toEqual(
        expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query', ...TABLE_WRITES]),
      );
      expect(actions).not.toContain('dynamodb:Scan');
    }
  });

  it('the authorizer only reads the table', () => {
    const statements = functionStatements(built, 'authorizer');
    const actions = allowedActionsOn(statements, tableArn);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
    for (const write of TABLE_WRITES) expect(actions).not.toContain(write);
    // API key use is recorded elsewhere only through reads here: no write on any resource.
    expect(statements.flatMap(actionsOf).filter((action) => TABLE_WRITES.includes(action))).toEqual([]);
  });

  it('health may only describe the table, the queues, the topics and list state machines', () => {
    const statements = functionStatements(built, 'health');
    expect(allowedActionsOn(statements, tableArn)).toEqual(['dynamodb:DescribeTable']);
    for (const queue of stack.messaging.allQueues) {
      expect(allowedActionsOn(statements, { 'Fn::GetAtt': [logicalId(stack, queue), 'Arn'] })).toEqual([
        'sqs:GetQueueAttributes',
      ]);
    }
    for (const topic of Object.values(stack.messaging.topics)) {
      expect(allowedActionsOn(statements, { Ref: logicalId(stack, topic) })).toEqual([
        'sns:GetTopicAttributes',
      ]);
    }
    expect(allowedActionsOn(statements, '*')).toEqual(['states:ListStateMachines']);
  });

  it("the registry creates and updates the stack's own <prefix>_* state machines and may pass only the workflow role", () => {
    const statements = functionStatements(built, 'registry');
    const byResource = (pattern: string) =>
      statements.filter((s) => JSON.stringify(s.Resource).includes(pattern)).flatMap(actionsOf);
    expect(byResource(':stateMachine:Stepwise_*')).toEqual(
      expect.arrayContaining([
        'states:CreateStateMachine',
        'states:UpdateStateMachine',
        'states:DescribeStateMachine',
      ]),
    );
    expect(byResource(':stateMachine:Stepwise_*')).not.toContain('states:StartExecution');
    expect(
      allowedActionsOn(statements, { 'Fn::GetAtt': [logicalId(stack, stack.workflows.role), 'Arn'] }),
    ).toEqual(['iam:PassRole']);
  });

  it("the api starts, stops and describes the stack's own <prefix>_* executions, and creates no state machine", () => {
    const statements = functionStatements(built, 'api');
    const byResource = (pattern: string) =>
      statements.filter((s) => JSON.stringify(s.Resource).includes(pattern)).flatMap(actionsOf);
    expect(byResource(':stateMachine:Stepwise_*')).toEqual(['states:StartExecution']);
    expect(byResource(':execution:Stepwise_*:*')).toEqual(
      expect.arrayContaining(['states:StopExecution', 'states:DescribeExecution']),
    );
    expect(
      allowedActionsOn(statements, { 'Fn::GetAtt': [logicalId(stack, stack.workflows.role), 'Arn'] }),
    ).toEqual([]);
  });

  it('the metrics function only reads the table', () => {
    const statements = functionStatements(built, 'metrics');
    expect(allowedActionsOn(statements, tableArn)).toEqual(
      expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']),
    );
    expect(statements.flatMap(actionsOf).filter((action) => TABLE_WRITES.includes(action))).toEqual([]);
  });

  it("the alerts function publishes nothing, has no Step Functions grant, and no secret but the cursor key and the channels' own", () => {
    const statements = functionStatements(built, 'alerts');
    const actions = statements.filter((s) => s.Effect === 'Allow').flatMap(actionsOf);
    // Listing and acknowledging alerts publishes nothing (alerts/alerting.ts).
    expect(actions.filter((action) => /^(sns|states|sqs|lambda|bedrock):/.test(action))).toEqual([]);
    const secrets = statements.filter((s) =>
      actionsOf(s).some((action) => action.startsWith('secretsmanager:')),
    );
    const resources = secrets.flatMap(resourcesOf).map((resource) => JSON.stringify(resource));
    expect(resources).toHaveLength(2);
    expect(resources).toEqual(
      expect.arrayContaining([
        JSON.stringify({ Ref: logicalId(stack, stack.node.findChild('CursorSigningKey')) }),
        expect.stringMatching(/:secret:stepwise\/[^/*]+\/alert-channels\/\*"/),
      ]),
    );
  });

  it('only the api and the reconciler (a decision sent again) may complete task tokens, on * as SendTaskSuccess requires', () => {
    for (const name of ['api', 'reconciler'] as const) {
      const statements = functionStatements(built, name);
      const callbacks = statements.filter((s) => actionsOf(s).includes('states:SendTaskSuccess'));
      expect(callbacks.flatMap(actionsOf), name).toEqual([
        'states:SendTaskSuccess',
        'states:SendTaskFailure',
      ]);
      expect(callbacks.flatMap(resourcesOf), name).toEqual(['*']);
    }
    for (const name of names.filter((n) => n !== 'api' && n !== 'reconciler')) {
      expect(functionStatements(built, name).flatMap(actionsOf), name).not.toContain(
        'states:SendTaskSuccess',
      );
    }
  });

  it('the step runner may publish approval requests to the info topic, and to no other topic', () => {
    const statements = functionStatements(built, 'stepRunner');
    const { info, warning, critical } = stack.messaging.topics;
    expect(allowedActionsOn(statements, { Ref: logicalId(stack, info) })).toEqual(['sns:Publish']);
    for (const topic of [warning, critical]) {
      expect(allowedActionsOn(statements, { Ref: logicalId(stack, topic) })).toEqual([]);
    }
  });

  it.each([
    'reconciler',
    // An output over EventBridge's 248 KiB is left out of the status event and read from the execution.
    'taskEvents',
  ] as const)("the %s function may describe the stack's own <prefix>_* executions", (name) => {
    const statements = functionStatements(built, name);
    const describe = statements.filter((s) => actionsOf(s).includes('states:DescribeExecution'));
    expect(JSON.stringify(describe.map((s) => s.Resource))).toContain(':execution:Stepwise_*:*');
  });

  it('the step runner may call Bedrock models and, with no lambdaFunctions configured, invoke no function', () => {
    const statements = functionStatements(built, 'stepRunner');
    expect(allowedActionsOn(statements, '*')).toEqual(expect.arrayContaining(['bedrock:InvokeModel']));
    const allowed = statements.filter((s) => s.Effect === 'Allow').flatMap(actionsOf);
    expect(allowed).not.toContain('lambda:InvokeFunction');
    expect(allowed).not.toContain('lambda:*');
  });

  it.each([
    ['off', {}, []],
    ['on', { tracing: 'true' }, ['xray:PutTelemetryRecords', 'xray:PutTraceSegments']],
  ] as const)(
    'uses * in a function default policy only for X-Ray (tracing %s), whose actions have no resource-level permissions',
    (_, context, expected) => {
      const traced = synthesize(context);
      for (const name of names) {
        const role = traced.stack.functions[name].role;
        const defaultPolicy = role?.node.tryFindChild('DefaultPolicy');
        const policy =
          traced.template.findResources('AWS::IAM::Policy')[
            logicalId(traced.stack, defaultPolicy ?? traced.stack)
          ];
        const wildcard = (policy?.Properties.PolicyDocument.Statement ?? []).filter(
          (s: { Resource: unknown }) => resourcesOf(s as never).includes('*'),
        );
        expect(wildcard.flatMap(actionsOf).sort(), name).toEqual(expected);
      }
    },
  );

  it('lets API Gateway invoke the route handlers', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'apigateway.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [logicalId(stack, stack.functions.api), 'Arn'] },
      SourceArn: Match.anyValue(),
    });
  });
});
