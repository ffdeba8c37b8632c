// Errors of two kinds: the API errors the endpoint returns (HTTP 400 `{"__type","message"}`, which the AWS
// SDK turns into an exception whose `name` is the `__type`), and the task errors a Task state fails with
// inside an execution, whose `name` is what ASL `Retry`/`Catch` `ErrorEquals` match.

/** An error returned by the Step Functions API, e.g. `StateMachineDoesNotExist`. */
export class SfnApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = code;
  }
}

export const stateMachineDoesNotExist = (arn: string) =>
  new SfnApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
export const stateMachineAlreadyExists = (arn: string) =>
  new SfnApiError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
export const executionDoesNotExist = (arn: string) =>
  new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
export const executionAlreadyExists = (arn: string) =>
  new SfnApiError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
export const invalidDefinition = (reason: string) =>
  new SfnApiError('InvalidDefinition', `Invalid State Machine Definition: '${reason}'`);
export const invalidArn = (arn: string, reason: string) =>
  new SfnApiError('InvalidArn', `Invalid Arn: '${reason}: ${arn}'`);
export const invalidName = (name: string) => new SfnApiError('InvalidName', `Invalid Name: '${name}'`);
export const invalidExecutionInput = (reason: string) =>
  new SfnApiError('InvalidExecutionInput', `Invalid Execution Input: '${reason}'`);
export const invalidOutput = (reason: string) =>
  new SfnApiError('InvalidOutput', `Invalid Output: '${reason}'`);
export const invalidToken = (reason: string) => new SfnApiError('InvalidToken', `Invalid Token: '${reason}'`);
export const taskDoesNotExist = () =>
  new SfnApiError('TaskDoesNotExist', "Task Does Not Exist: 'Provided task does not exist'");
// AWS answers this for a token whose task is over: timed out, completed, or its execution ended.
export const taskTimedOut = () =>
  new SfnApiError('TaskTimedOut', "Task Timed Out: 'Provided task does not exist anymore'");
export const validationError = (message: string) => new SfnApiError('ValidationException', message);

/**
 * A Task state's failure. The interpreter matches `Retry`/`Catch` on `name` and reports `message` as the
 * Cause. `retryable: false` and `catchable: false` mirror errors such as `States.Runtime`, which ASL cannot
 * handle (aws-local-stepfunctions reads `isRetryable`/`isCatchable` on any error).
 */
export class TaskError extends Error {
  readonly isRetryable: boolean;
  readonly isCatchable: boolean;
  constructor(error: string, cause: string, handleable = true) {
    super(cause);
    this.name = error;
    this.isRetryable = handleable;
    this.isCatchable = handleable;
  }
}
