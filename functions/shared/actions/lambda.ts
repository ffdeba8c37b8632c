// The `lambda` step action: invokes a user's function synchronously and returns its JSON result. Only
// functions the deployment allows for the task's org (lambda-allowlist.ts) are invoked: registration
// checks literal ARNs, and this check covers `functionArn.$` references resolved at run time. A
// function error becomes an error named after the function's own errorType, which is what Step
// Functions' native Lambda integration reports, so the workflow's Retry/Catch can match it. Throttling
// and service errors are retried by the SDK client (maxAttempts) and surface with their SDK names.
import { InvokeCommand, type LambdaClient } from '../clients/lambda';
import * as z from '../zod-mini';
import { LambdaFunctionError, LambdaNotAllowed } from './errors';
import { isLambdaAllowed, type LambdaAllowlist } from './lambda-allowlist';
import { parseStepParams } from './step-params';

/** A function name, partial or full ARN, optionally with a version or alias (the Invoke API's pattern). */
const FUNCTION_NAME =
  /^(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?$/;

export const LambdaParamsSchema = z.strictObject({
  functionArn: z
    .string()
    .check(z.minLength(1), z.maxLength(170), z.regex(FUNCTION_NAME, 'must be a Lambda function name or ARN')),
  payload: z.optional(z.unknown()),
});

export type LambdaParams = z.input<typeof LambdaParamsSchema>;

/** The slice of the Lambda client (../clients/lambda.ts) the action uses, so tests can pass a fake `send`. */
export type InvokeClient = Pick<LambdaClient, 'send'>;

export interface LambdaActionDeps {
  readonly lambda: InvokeClient;
  /** The functions each org may invoke (LAMBDA_FUNCTIONS). */
  readonly allowlist: LambdaAllowlist;
  /** The org of the task the step belongs to. */
  readonly orgId: string;
}

export async function runLambdaAction(params: LambdaParams, deps: LambdaActionDeps): Promise<unknown> {
  const { functionArn, payload } = parseStepParams('lambda', LambdaParamsSchema, params);
  if (!isLambdaAllowed(deps.allowlist, deps.orgId, functionArn)) {
    throw new LambdaNotAllowed(functionArn, deps.orgId);
  }
  const response = await deps.lambda.send(
    new InvokeCommand({
      FunctionName: functionArn,
      InvocationType: 'RequestResponse',
      Payload: new TextEncoder().encode(JSON.stringify(payload ?? {})),
    }),
  );
  const text = response.Payload ? new TextDecoder().decode(response.Payload) : '';
  const result = parseJson(text);
  if (response.FunctionError) {
    const error = (typeof result === 'object' && result !== null ? result : {}) as {
      errorType?: unknown;
      errorMessage?: unknown;
      trace?: unknown;
    };
    throw new LambdaFunctionError(
      functionArn,
      typeof error.errorType === 'string' ? error.errorType : undefined,
      typeof error.errorMessage === 'string'
        ? error.errorMessage
        : `${functionArn} failed (${response.FunctionError})${text ? `: ${text.slice(0, 300)}` : ''}`,
      Array.isArray(error.trace) ? error.trace.map(String) : undefined,
    );
  }
  return result;
}

/** A function's result is JSON (null when it returned nothing); anything else is returned as text. */
function parseJson(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
