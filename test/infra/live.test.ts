// The WebSocket API of live updates: its routes and $connect authorizer, its stage, the live function's
// least-privilege table access, and the writers' PostToConnection grant and endpoint.
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUTHORIZER_HANDLER, type FunctionName, LIVE_API } from '../../functions/shared/resources';
import type { StepwiseStack } from '../../lib/stepwise-stack';
import { logicalId, synthesize } from './synth';

const WRITERS: FunctionName[] = [
  'api',
  'alerts',
  'workers',
  'stepRunner',
  'taskEvents',
  'reconciler',
  'agentReports',
  'sweeper',
  'alertNotifier',
];

describe('the live updates WebSocket API', () => {
  let stack: StepwiseStack;
  let template: Template;
  let apiId: string;
  const functionId = (name: FunctionName) => logicalId(stack, stack.functions[name]);
  /** The statements of every IAM policy attached to a function's role. */
  const statementsOf = (name: FunctionName) => {
    const role =
      template.findResources('AWS::Lambda::Function')[functionId(name)]?.Properties.Role['Fn::GetAtt'][0];
    return Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(`"${role}"`))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Record<string, unknown>[]);
  };
  beforeAll(() => {
    ({ stack, template } = synthesize());
    apiId = logicalId(stack, stack.live.webSocketApi);
  });

  it('selects routes by the action of the message', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: '$request.body.action',
    });
  });

  it('has $connect behind the REQUEST authorizer, whose identity source is the subprotocol header', () => {
    const [authorizerId] = Object.keys(
      template.findResources('AWS::ApiGatewayV2::Authorizer', { Properties: { ApiId: { Ref: apiId } } }),
    );
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      ApiId: { Ref: apiId },
      AuthorizerType: 'REQUEST',
      IdentitySource: ['route.request.header.Sec-WebSocket-Protocol'],
      AuthorizerUri: Match.objectLike({
        'Fn::Join': ['', Match.arrayWith([{ 'Fn::GetAtt': [functionId(AUTHORIZER_HANDLER), 'Arn'] }])],
      }),
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      ApiId: { Ref: apiId },
      RouteKey: '$connect',
      AuthorizationType: 'CUSTOM',
      AuthorizerId: { Ref: authorizerId },
    });
  });

  it('routes $connect, $disconnect and $default to the live function, $default with a route response', () => {
    const routes = Object.values(
      template.findResources('AWS::ApiGatewayV2::Route', { Properties: { ApiId: { Ref: apiId } } }),
    );
    expect(routes.map((route) => route.Properties.RouteKey).sort()).toEqual(
      LIVE_API.routes.map((route) => route.routeKey).sort(),
    );
    const integrations = template.findResources('AWS::ApiGatewayV2::Integration', {
      Properties: { ApiId: { Ref: apiId } },
    });
    for (const integration of Object.values(integrations)) {
      expect(JSON.stringify(integration.Properties.IntegrationUri)).toContain(functionId('live'));
    }
    expect(Object.keys(integrations)).toHaveLength(3);
    template.hasResourceProperties('AWS::ApiGatewayV2::RouteResponse', {
      ApiId: { Ref: apiId },
      RouteResponseKey: '$default',
    });
  });

  it('deploys the stage live automatically, with access logs, and outputs its wss URL', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      ApiId: { Ref: apiId },
      StageName: 'live',
      AutoDeploy: true,
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [logicalId(stack, stack.live.accessLogGroup), 'Arn'] },
        Format: Match.stringLikeRegexp('\\$context\\.connectionId'),
      },
    });
    expect(JSON.stringify(template.toJSON().Outputs.LiveUrl.Value)).toContain('wss://');
  });

  it("sets API Gateway's CloudWatch Logs role before the stage, which a region without one refuses to log", () => {
    // A WebSocket stage's access logs go through the account setting (an HTTP API's do not): without it
    // CreateStage fails with "CloudWatch Logs role ARN must be set in account settings to enable logging".
    const accounts = Object.entries(template.findResources('AWS::ApiGateway::Account'));
    expect(accounts).toHaveLength(1);
    const [accountId, account] = accounts[0] ?? ['', { Properties: {} }];
    expect(account.DeletionPolicy).toBe('Retain');
    const [roleId] = (account.Properties.CloudWatchRoleArn as { 'Fn::GetAtt': [string, string] })[
      'Fn::GetAtt'
    ];
    const role = template.findResources('AWS::IAM::Role')[roleId];
    expect(role?.DeletionPolicy).toBe('Retain');
    expect(role?.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({ Principal: { Service: 'apigateway.amazonaws.com' } }),
    ]);
    expect(JSON.stringify(role?.Properties.ManagedPolicyArns)).toContain(
      ':iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs',
    );
    const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage')).find(
      (resource) => JSON.stringify(resource.Properties.ApiId) === JSON.stringify({ Ref: apiId }),
    );
    expect(stage?.DependsOn).toContain(accountId);
  });

  it('gives the live function the LIVE# items and a read of task items, and nothing else of the table', () => {
    const dynamodb = statementsOf('live').filter((statement) =>
      JSON.stringify(statement.Action).includes('dynamodb:'),
    );
    expect(dynamodb).toEqual([
      expect.objectContaining({
        Action: [
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:Query',
        ],
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['LIVE#*'] } },
        Effect: 'Allow',
      }),
      expect.objectContaining({
        Action: 'dynamodb:GetItem',
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['TASK#*'] } },
        Effect: 'Allow',
      }),
    ]);
    // The table itself, no index.
    for (const statement of dynamodb) expect(JSON.stringify(statement.Resource)).not.toContain('/index/');
    expect(JSON.stringify(statementsOf('live'))).not.toContain('execute-api:ManageConnections');
  });

  it.each(WRITERS)('lets %s post to connections of the live stage only, at LIVE_ENDPOINT', (name) => {
    const grants = statementsOf(name).filter((statement) =>
      JSON.stringify(statement.Action).includes('execute-api:ManageConnections'),
    );
    expect(grants).toHaveLength(1);
    const resource = JSON.stringify(grants[0]?.Resource);
    expect(resource).toContain(apiId);
    expect(resource).toContain('/live/POST/@connections/*');
    const variables =
      template.findResources('AWS::Lambda::Function')[functionId(name)]?.Properties.Environment.Variables;
    expect(JSON.stringify(variables.LIVE_ENDPOINT)).toContain(`"Ref":"${apiId}"`);
    expect(JSON.stringify(variables.LIVE_ENDPOINT)).toContain('/live');
  });

  it('lets the sweeper alone close connections (DELETE), those whose credential expired', () => {
    const closers = WRITERS.filter((name) =>
      JSON.stringify(statementsOf(name)).includes('/live/DELETE/@connections/*'),
    );
    expect(closers).toEqual(['sweeper']);
  });

  it('gives no other function the endpoint or the grant', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    const withEndpoint = Object.keys(functions).filter(
      (id) => functions[id]?.Properties.Environment?.Variables?.LIVE_ENDPOINT,
    );
    expect(withEndpoint.sort()).toEqual(WRITERS.map(functionId).sort());
  });
});
