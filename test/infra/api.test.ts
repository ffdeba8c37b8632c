import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUTHORIZER_HANDLER, type FunctionName, ROUTES } from '../../functions/shared/resources';
import type { StepwiseStack } from '../../lib/stepwise-stack';
import { logicalId, synthesize } from './synth';

describe('the HTTP API', () => {
  let stack: StepwiseStack;
  let template: Template;
  let routes: ReturnType<Template['findResources']>[string][];
  let integrations: ReturnType<Template['findResources']>;
  let authorizerId: string | undefined;
  beforeAll(() => {
    ({ stack, template } = synthesize());
    // The HTTP API's own (the WebSocket API of live updates has routes too: live.test.ts).
    const ofHttpApi = { Properties: { ApiId: { Ref: logicalId(stack, stack.api.httpApi) } } };
    routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route', ofHttpApi));
    integrations = template.findResources('AWS::ApiGatewayV2::Integration', ofHttpApi);
    [authorizerId] = Object.keys(template.findResources('AWS::ApiGatewayV2::Authorizer', ofHttpApi));
  });
  const functionId = (name: FunctionName) => logicalId(stack, stack.functions[name]);

  it('has exactly the routes of the shared route table', () => {
    const routeKeys = routes.map((route) => route.Properties.RouteKey as string).sort();
    expect(routeKeys).toEqual(ROUTES.map((route) => `${route.method} ${route.path}`).sort());
  });

  it.each(ROUTES.map((route) => [`${route.method} ${route.path}`, route] as const))(
    '%s is integrated with its handler and authorized as its access requires',
    (routeKey, route) => {
      const resource = routes.find((r) => r.Properties.RouteKey === routeKey);
      if (route.access === 'public') {
        expect(resource?.Properties).toMatchObject({ AuthorizationType: 'NONE' });
        expect(resource?.Properties.AuthorizerId).toBeUndefined();
      } else {
        expect(resource?.Properties).toMatchObject({
          AuthorizationType: 'CUSTOM',
          AuthorizerId: { Ref: authorizerId },
        });
      }
      const target = JSON.stringify(resource?.Properties.Target);
      const integrationId = Object.keys(integrations).find((id) => target.includes(`"${id}"`));
      expect(integrations[integrationId ?? '']?.Properties).toMatchObject({
        IntegrationType: 'AWS_PROXY',
        PayloadFormatVersion: '2.0',
        IntegrationUri: { 'Fn::GetAtt': [functionId(route.handler), 'Arn'] },
      });
    },
  );

  it('shares one integration per function across its routes', () => {
    const handlers = new Set(ROUTES.map((route) => route.handler));
    expect(Object.keys(integrations)).toHaveLength(handlers.size);
  });

  it('authorizes with the authorizer function: simple responses, no identity source, no caching', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      ApiId: { Ref: logicalId(stack, stack.api.httpApi) },
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      // None: requests without an Authorization header reach the authorizer (and get the product's 401).
      IdentitySource: [],
      AuthorizerResultTtlInSeconds: 0,
      AuthorizerUri: Match.objectLike({
        'Fn::Join': ['', Match.arrayWith([{ 'Fn::GetAtt': [functionId(AUTHORIZER_HANDLER), 'Arn'] }])],
      }),
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [functionId(AUTHORIZER_HANDLER), 'Arn'] },
    });
  });

  it('logs every request of the auto-deployed default stage to its access log group', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [logicalId(stack, stack.api.accessLogGroup), 'Arn'] },
        Format: Match.stringLikeRegexp('\\$context\\.requestId'),
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('signs cursors with a generated secret that only the functions issuing cursors read, by reference', () => {
    const secrets = template.findResources('AWS::SecretsManager::Secret', {
      Properties: { GenerateSecretString: Match.objectLike({ PasswordLength: 64 }) },
    });
    const [secretId] = Object.keys(secrets);
    expect(secretId).toBeDefined();
    const functions = template.findResources('AWS::Lambda::Function');
    const readers = Object.entries(functions)
      .filter(([, fn]) => fn.Properties.Environment?.Variables?.CURSOR_KEY_SECRET_ARN)
      .map(([id]) => id);
    const issuers = ['api', 'alerts'] as const;
    expect(readers.sort()).toEqual(issuers.map(functionId).sort());
    for (const name of issuers) {
      expect(functions[functionId(name)]?.Properties.Environment.Variables.CURSOR_KEY_SECRET_ARN).toEqual({
        Ref: secretId,
      });
      const role = functions[functionId(name)]?.Properties.Role['Fn::GetAtt'][0];
      const grants = Object.values(template.findResources('AWS::IAM::Policy')).filter(
        (policy) =>
          JSON.stringify(policy.Properties.Roles).includes(role) &&
          JSON.stringify(policy.Properties.PolicyDocument).includes(`"Ref":"${secretId}"`),
      );
      expect(JSON.stringify(grants), name).toContain('secretsmanager:GetSecretValue');
    }
  });

  it('outputs the API URL', () => {
    template.hasOutput('ApiUrl', {});
  });
});
