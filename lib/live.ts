// The WebSocket API of live updates (functions/shared/resources.ts LIVE_API): $connect behind a Lambda
// REQUEST authorizer whose identity source is the Sec-WebSocket-Protocol header (the credential travels
// as a subprotocol; a handshake without it is refused with 401 before any Lambda runs), $disconnect and
// $default (with a route response: subscribe/unsubscribe/ping answers) on the live function, stage `live`
// deployed automatically with access logs. The writers of events get LIVE_ENDPOINT and may POST to
// @connections of this stage only; the live function reaches the table only under the LIVE# keys (plus
// reading task items, to authorize a task subscription).
import { type CfnElement, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import { AccessLogFormat, CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type FunctionName, LIVE_API } from '../functions/shared/resources';
import type { StepwiseFunction, TableBinding } from './stepwise-function';

/** The identity source of the $connect authorizer. */
export const LIVE_IDENTITY_SOURCE = 'route.request.header.Sec-WebSocket-Protocol';

/** The leading keys the live function may touch: its own items, and task items (read only). */
export const LIVE_LEADING_KEYS = ['LIVE#*'];
export const TASK_LEADING_KEYS = ['TASK#*'];

export interface LiveProps {
  /** The deployed functions by the name LIVE_API refers to. */
  readonly functions: Readonly<Record<FunctionName, StepwiseFunction>>;
  readonly data: TableBinding;
  /** The functions that record events and fan them out (each gets LIVE_ENDPOINT and ManageConnections). */
  readonly writers: readonly StepwiseFunction[];
  /**
   * Writers that also close connections (DeleteConnection): the sweeper, which closes those whose
   * credential expired (functions/shared/live/live-expiry.ts).
   */
  readonly closers?: readonly StepwiseFunction[];
  /**
   * How long access log events are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly accessLogRetention?: logs.RetentionDays;
}

export class Live extends Construct {
  readonly webSocketApi: apigw.WebSocketApi;
  readonly stage: apigw.WebSocketStage;
  readonly accessLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: LiveProps) {
    super(scope, id);
    const { functions } = props;
    const handlerOf = (routeKey: string) => {
      const route = LIVE_API.routes.find((candidate) => candidate.routeKey === routeKey);
      if (!route) throw new Error(`LIVE_API has no ${routeKey} route`);
      return {
        route,
        integration: new WebSocketLambdaIntegration(
          `${routeKey.slice(1)}Integration`,
          functions[route.handler],
        ),
      };
    };
    const connect = handlerOf('$connect');
    const disconnect = handlerOf('$disconnect');
    const fallback = handlerOf('$default');
    this.webSocketApi = new apigw.WebSocketApi(this, 'WebSocketApi', {
      description: 'stepwise: live updates of tasks, steps, workers and alerts',
      routeSelectionExpression: LIVE_API.routeSelectionExpression,
      connectRouteOptions: {
        integration: connect.integration,
        authorizer: new WebSocketLambdaAuthorizer('ConnectAuthorizer', functions[LIVE_API.authorizer], {
          identitySource: [LIVE_IDENTITY_SOURCE],
        }),
      },
      disconnectRouteOptions: { integration: disconnect.integration },
      defaultRouteOptions: {
        integration: fallback.integration,
        returnResponse: fallback.route.returnResponse ?? false,
      },
    });
    for (const routeKey of ['$disconnect', '$default']) {
      const route = this.webSocketApi.node.tryFindChild(`${routeKey}-Route`);
      if (route) {
        Validations.of(route).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `A WebSocket API authorizes on $connect only (API Gateway allows an authorizer there alone); ${routeKey} runs on a connection $connect authorized.`,
        });
      }
    }

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new apigw.WebSocketStage(this, 'Stage', {
      webSocketApi: this.webSocketApi,
      stageName: LIVE_API.stageName,
      autoDeploy: true,
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(this.accessLogGroup),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            eventType: '$context.eventType',
            routeKey: '$context.routeKey',
            connectionId: '$context.connectionId',
            status: '$context.status',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            orgId: '$context.authorizer.orgId',
          }),
        ),
      },
    });

    this.stage.node.addDependency(this.cloudWatchLogsRole());

    this.grantLiveTableAccess(functions[connect.route.handler], props.data);
    // PostToConnection only (POST), on this stage's connections; pruning deletes items, not connections.
    // The closers may also DELETE (close) them.
    const connectionsBy = (method: 'POST' | 'DELETE') =>
      Stack.of(this).formatArn({
        service: 'execute-api',
        resource: this.webSocketApi.apiId,
        resourceName: `${LIVE_API.stageName}/${method}/@connections/*`,
      });
    const connections = connectionsBy('POST');
    // The resource as cdk-nag names it in its finding: pseudo parameters and the API's logical id in <>.
    // A stack with a concrete region or account (a real `cdk synth` takes them from the environment) has
    // them literally in the ARN.
    const stack = Stack.of(this);
    const apiLogicalId = stack.getLogicalId(this.webSocketApi.node.defaultChild as CfnElement);
    const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    const nagConnections = (method: 'POST' | 'DELETE') =>
      `arn:<AWS::Partition>:execute-api:${region}:${account}:<${apiLogicalId}>/${LIVE_API.stageName}/${method}/@connections/*`;
    for (const writer of props.writers) {
      writer.addEnvironment(LIVE_API.endpointEnv, this.stage.callbackUrl);
      const role = writer.role;
      if (!role) throw new Error(`${writer.node.id} has no execution role`);
      const closes = props.closers?.includes(writer) ?? false;
      const policy = new iam.Policy(this, `${writer.node.id}PostToConnections`, {
        statements: [
          new iam.PolicyStatement({
            actions: ['execute-api:ManageConnections'],
            resources: closes ? [connections, connectionsBy('DELETE')] : [connections],
          }),
        ],
      });
      role.attachInlinePolicy(policy);
      for (const method of closes ? (['POST', 'DELETE'] as const) : (['POST'] as const)) {
        Validations.of(policy).acknowledge({
          id: `AwsSolutions-IAM5[Resource::${nagConnections(method)}]`,
          reason: `Connection ids are issued by API Gateway at connect time: the grant is ${method} to @connections of this API stage only.`,
        });
      }
    }
  }

  /**
   * API Gateway writes a WebSocket stage's access logs (unlike an HTTP API's) as the CloudWatch Logs role
   * of its account settings in the region: where none was ever set, creating the stage fails with "CloudWatch
   * Logs role ARN must be set in account settings to enable logging", which no local run can show. So the
   * stack sets one, as RestApi's cloudWatchRole does: a role with the AWS managed policy made for this,
   * retained with the setting when the stack goes, since other APIs of the account may rely on it by then.
   */
  private cloudWatchLogsRole(): CfnAccount {
    const role = new iam.Role(this, 'ApiGatewayCloudWatchLogsRole', {
      assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      description: "API Gateway's CloudWatch Logs role of this account and region (WebSocket access logs)",
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs'),
      ],
    });
    role.applyRemovalPolicy(RemovalPolicy.RETAIN);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        "API Gateway's account-wide logging role: the AWS managed policy for it, so other APIs of the account that log through the same setting keep working.",
    });
    const account = new CfnAccount(this, 'ApiGatewayAccount', { cloudWatchRoleArn: role.roleArn });
    account.applyRemovalPolicy(RemovalPolicy.RETAIN);
    return account;
  }

  /** The wss:// URL clients connect to. */
  get url(): string {
    return this.stage.url;
  }

  /**
   * The live function's table access: its own items (connections, subscriptions: LIVE# keys) read and
   * written item by item, and task items read (a task subscription checks the task's org). No index, no
   * Scan, nothing else of the table.
   */
  private grantLiveTableAccess(fn: StepwiseFunction, data: TableBinding): void {
    const leadingKeys = (keys: string[]) => ({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': keys } });
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:Query',
        ],
        resources: [data.table.tableArn],
        conditions: leadingKeys(LIVE_LEADING_KEYS),
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem'],
        resources: [data.table.tableArn],
        conditions: leadingKeys(TASK_LEADING_KEYS),
      }),
    );
  }
}
