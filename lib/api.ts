// The HTTP API (API Gateway v2), one route per entry of ROUTES in functions/shared/resources.ts. Public
// routes need no credentials; every other route goes through the Lambda authorizer, which checks the
// route's required role itself. HTTP APIs have no X-Ray integration: traces start at the Lambdas.
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  AUTHORIZER_HANDLER,
  type FunctionName,
  ROUTES,
  type RouteShape,
} from '../functions/shared/resources';

export interface ApiProps {
  /** The deployed functions by the name routes refer to. */
  readonly functions: Readonly<Record<FunctionName, lambda.IFunction>>;
  /**
   * The routes to create.
   * @default ROUTES
   */
  readonly routes?: readonly RouteShape[];
  /**
   * How long access log events are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly accessLogRetention?: logs.RetentionDays;
}

/** `GET /tasks/{id}` -> `GetTasksId`: a stable, readable construct id per route. */
function routeConstructId(route: RouteShape): string {
  const words = `${route.method} ${route.path}`.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return words.map((word) => word[0]?.toUpperCase() + word.slice(1).toLowerCase()).join('');
}

export class Api extends Construct {
  readonly httpApi: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  readonly accessLogGroup: logs.LogGroup;
  /** The route constructs by route key (`GET /health`). */
  readonly routes: ReadonlyMap<string, apigw.HttpRoute>;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    this.httpApi = new apigw.HttpApi(this, 'HttpApi', {
      description: 'stepwise: workflows and tasks',
      // The default stage is created below, with access logging, which HttpApi's own cannot take.
      createDefaultStage: false,
    });
    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new apigw.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogGroup),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            orgId: '$context.authorizer.orgId',
          }),
        ),
      },
    });

    // Simple responses. No identity source (allowed because caching is off, and caching must be off: the
    // decision depends on the route's role), so a request without an Authorization header reaches the
    // authorizer too instead of getting API Gateway's bare 401. The authorizer passes refusals to the
    // handler in its context, which answers 401/403 in the product's error shape.
    const authorizer = new HttpLambdaAuthorizer('Authorizer', props.functions[AUTHORIZER_HANDLER], {
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: [],
      resultsCacheTtl: Duration.seconds(0),
    });
    const noAuthorizer = new apigw.HttpNoneAuthorizer();

    // One integration per function, shared by all of its routes (one Lambda permission each).
    const integrations = new Map<FunctionName, HttpLambdaIntegration>();
    const integrationFor = (name: FunctionName) => {
      let integration = integrations.get(name);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${name}Integration`, props.functions[name]);
        integrations.set(name, integration);
      }
      return integration;
    };

    const routes = new Map<string, apigw.HttpRoute>();
    for (const route of props.routes ?? ROUTES) {
      const routeKey = apigw.HttpRouteKey.with(route.path, apigw.HttpMethod[route.method]);
      const httpRoute = new apigw.HttpRoute(this, routeConstructId(route), {
        httpApi: this.httpApi,
        routeKey,
        integration: integrationFor(route.handler),
        authorizer: route.access === 'public' ? noAuthorizer : authorizer,
      });
      if (route.access === 'public') {
        Validations.of(httpRoute).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `${routeKey.key} is public by the route table (access: 'public'): health probes and the API description need no credentials.`,
        });
      }
      routes.set(routeKey.key, httpRoute);
    }
    this.routes = routes;
  }

  /** The base URL of the default stage. */
  get url(): string {
    return this.stage.url;
  }
}
