// The service integrations a Task `Resource` can name, run against the other local emulators: Lambda
// (through the host's `invokeLambda`), SQS and DynamoDB with the lean AWS JSON client (in process when the
// stack registered its transports, functions/shared/clients/in-process-transport.ts; over HTTP otherwise),
// SNS with the SDK's client (query protocol). Failures become TaskErrors named as on AWS (the function's
// error type; `SQS.<Exception>`, `DynamoDB.<Exception>`, ...).
import { randomUUID } from 'node:crypto';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { AwsJsonClient, type AwsJsonService } from '../../functions/shared/clients/aws-json';
import { DYNAMODB_SERVICE } from '../../functions/shared/clients/dynamodb';
import { TaskError } from './errors';

/** A Task `Resource`, as the history events name it (`resourceType` `sqs`, `resource` `sendMessage.waitForTaskToken`). */
export interface TaskResource {
  readonly resourceType: string;
  readonly resource: string;
  readonly action: string;
  readonly waitForTaskToken: boolean;
  /** A plain Lambda function ARN as Resource (not the `lambda:invoke` integration). */
  readonly lambdaFunctionArn?: string;
}

const INTEGRATION = /^arn:aws[a-z-]*:states:::([a-z0-9-]+):([A-Za-z]+)(?:\.(waitForTaskToken|sync(?::2)?))?$/;
const LAMBDA_FUNCTION =
  /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?$/;

export function parseResource(resource: string): TaskResource | undefined {
  if (LAMBDA_FUNCTION.test(resource)) {
    return {
      resourceType: 'lambda',
      resource,
      action: 'invoke',
      waitForTaskToken: false,
      lambdaFunctionArn: resource,
    };
  }
  const match = INTEGRATION.exec(resource);
  if (!match) return undefined;
  const [, service = '', action = '', pattern] = match;
  return {
    resourceType: service,
    resource: pattern ? `${action}.${pattern}` : action,
    action,
    waitForTaskToken: pattern === 'waitForTaskToken',
  };
}

export interface IntegrationOptions {
  readonly region: string;
  readonly endpoints: { readonly sqs: string; readonly sns: string; readonly dynamodb: string };
  readonly invokeLambda: (functionName: string, payload: unknown) => Promise<unknown>;
}

type Params = Record<string, unknown>;
const asParams = (input: unknown): Params =>
  typeof input === 'object' && input !== null && !Array.isArray(input) ? (input as Params) : {};

// The integrations serialize a JSON body themselves; the SDK wants a string.
const asText = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/** The HTTP metadata AWS adds to the result of an SDK-backed integration. */
function withSdkMetadata(output: object): Record<string, unknown> {
  const { $metadata: _metadata, ...rest } = output as Record<string, unknown>;
  const requestId = randomUUID();
  return {
    ...rest,
    SdkHttpMetadata: {
      AllHttpHeaders: { 'x-amzn-RequestId': [requestId], 'Content-Type': ['application/x-amz-json-1.0'] },
      HttpHeaders: { 'x-amzn-RequestId': requestId, 'Content-Type': 'application/x-amz-json-1.0' },
      HttpStatusCode: 200,
    },
    SdkResponseMetadata: { RequestId: requestId },
  };
}

/** How AWS reports a function error: Error is the error type, Cause the Lambda error object as JSON. */
export function lambdaTaskError(error: unknown): TaskError {
  const isError = error instanceof Error;
  const errorType = isError && error.name ? error.name : 'Lambda.Unknown';
  const errorMessage = isError ? error.message : String(error);
  const trace = isError ? (error.stack?.split('\n') ?? []) : [];
  return new TaskError(errorType, JSON.stringify({ errorType, errorMessage, trace }));
}

function serviceTaskError(prefix: string, error: unknown): TaskError {
  const name = error instanceof Error ? error.name : 'Unknown';
  const message = error instanceof Error ? error.message : String(error);
  return new TaskError(`${prefix}.${name}`, message);
}

const SQS_SERVICE: AwsJsonService = {
  signingName: 'sqs',
  targetPrefix: 'AmazonSQS',
  jsonVersion: '1.0',
  endpointEnvName: 'SQS',
  traceName: 'SQS',
};

export class Integrations {
  private readonly sqs: AwsJsonClient;
  private readonly sns: SNSClient;
  private readonly dynamodb: AwsJsonClient;

  constructor(private readonly options: IntegrationOptions) {
    const config = {
      region: options.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    };
    this.sqs = new AwsJsonClient(SQS_SERVICE, { ...config, endpoint: options.endpoints.sqs });
    this.sns = new SNSClient({ ...config, endpoint: options.endpoints.sns });
    this.dynamodb = new AwsJsonClient(DYNAMODB_SERVICE, { ...config, endpoint: options.endpoints.dynamodb });
  }

  /** Runs the integration; for `.waitForTaskToken` the result is what the service call returned. */
  async call(resource: TaskResource, input: unknown): Promise<unknown> {
    if (resource.lambdaFunctionArn) return this.invokeLambda(resource.lambdaFunctionArn, input);
    const params = asParams(input);
    switch (`${resource.resourceType}:${resource.action}`) {
      case 'lambda:invoke': {
        const payload = await this.invokeLambda(String(params.FunctionName), params.Payload ?? {});
        return this.lambdaInvokeResult(payload);
      }
      case 'sqs:sendMessage':
        return this.send('SQS', () =>
          this.sqs.call('SendMessage', { ...params, MessageBody: asText(params.MessageBody) }),
        );
      case 'sns:publish':
        return this.send('SNS', () =>
          this.sns.send(new PublishCommand({ ...params, Message: asText(params.Message) } as never)),
        );
      case 'dynamodb:putItem':
        return this.send('DynamoDB', () => this.dynamodb.call('PutItem', params));
      case 'dynamodb:getItem':
        return this.send('DynamoDB', () => this.dynamodb.call('GetItem', params));
      case 'dynamodb:updateItem':
        return this.send('DynamoDB', () => this.dynamodb.call('UpdateItem', params));
      case 'dynamodb:deleteItem':
        return this.send('DynamoDB', () => this.dynamodb.call('DeleteItem', params));
      default:
        // On AWS an unknown integration is refused at CreateStateMachine; here it fails the task, unhandleably.
        throw new TaskError(
          'States.Runtime',
          `Resource ${resource.resourceType}:${resource.resource} is not supported by the local Step Functions endpoint`,
          false,
        );
    }
  }

  destroy(): void {
    this.sns.destroy();
  }

  private async invokeLambda(functionName: string, payload: unknown): Promise<unknown> {
    try {
      return (await this.options.invokeLambda(functionName, payload)) ?? null;
    } catch (error) {
      throw lambdaTaskError(error);
    }
  }

  // The shape `arn:aws:states:::lambda:invoke` returns on AWS (the function's result is under Payload).
  private lambdaInvokeResult(payload: unknown): Record<string, unknown> {
    return { ...withSdkMetadata({}), ExecutedVersion: '$LATEST', Payload: payload, StatusCode: 200 };
  }

  private async send(prefix: string, call: () => Promise<object>): Promise<unknown> {
    try {
      return withSdkMetadata(await call());
    } catch (error) {
      throw serviceTaskError(prefix, error);
    }
  }
}
