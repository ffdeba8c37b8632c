// The service integrations a Task `Resource` can name, run against the other local emulators with real
// AWS SDK clients: Lambda (through the host's `invokeLambda`), SQS, SNS and DynamoDB. Failures become
// TaskErrors named as on AWS (the function's error type; `SQS.<Exception>`, `DynamoDB.<Exception>`, ...).
import { randomUUID } from 'node:crypto';
import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
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

export class Integrations {
  private readonly sqs: SQSClient;
  private readonly sns: SNSClient;
  private readonly dynamodb: DynamoDBClient;

  constructor(private readonly options: IntegrationOptions) {
    const config = {
      region: options.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    };
    this.sqs = new SQSClient({ ...config, endpoint: options.endpoints.sqs });
    this.sns = new SNSClient({ ...config, endpoint: options.endpoints.sns });
    this.dynamodb = new DynamoDBClient({ ...config, endpoint: options.endpoints.dynamodb });
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
          this.sqs.send(
            new SendMessageCommand({ ...params, MessageBody: asText(params.MessageBody) } as never),
          ),
        );
      case 'sns:publish':
        return this.send('SNS', () =>
          this.sns.send(new PublishCommand({ ...params, Message: asText(params.Message) } as never)),
        );
      case 'dynamodb:putItem':
        return this.send('DynamoDB', () => this.dynamodb.send(new PutItemCommand(params as never)));
      case 'dynamodb:getItem':
        return this.send('DynamoDB', () => this.dynamodb.send(new GetItemCommand(params as never)));
      case 'dynamodb:updateItem':
        return this.send('DynamoDB', () => this.dynamodb.send(new UpdateItemCommand(params as never)));
      case 'dynamodb:deleteItem':
        return this.send('DynamoDB', () => this.dynamodb.send(new DeleteItemCommand(params as never)));
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
    this.sqs.destroy();
    this.sns.destroy();
    this.dynamodb.destroy();
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
