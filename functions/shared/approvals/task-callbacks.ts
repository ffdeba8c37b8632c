// Completing a state that waits on a task token (SendTaskSuccess / SendTaskFailure). Step Functions
// answers TaskTimedOut or TaskDoesNotExist for a token whose wait is over (timed out, its execution
// ended, already completed): that is an answer about the approval, not a failure of ours.
import { SendTaskFailureCommand, SendTaskSuccessCommand, type SfnClient } from '../clients/sfn';

export interface TaskCallbacks {
  succeed(taskToken: string, output: unknown): Promise<void>;
  fail(taskToken: string, error: string, cause: string): Promise<void>;
}

/** The wait the token belonged to is over: nothing is waiting for this decision any more. */
export class TaskTokenClosedError extends Error {
  override name = 'TaskTokenClosed';
}

const CLOSED_TOKEN_ERRORS = new Set(['TaskTimedOut', 'TaskDoesNotExist']);

/** Step Functions' limit on SendTaskFailure's cause. */
const MAX_CAUSE_CHARS = 32_768;

export class SfnTaskCallbacks implements TaskCallbacks {
  constructor(private readonly client: Pick<SfnClient, 'send'>) {}

  async succeed(taskToken: string, output: unknown): Promise<void> {
    await this.send(taskToken, () =>
      this.client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })),
    );
  }

  async fail(taskToken: string, error: string, cause: string): Promise<void> {
    await this.send(taskToken, () =>
      this.client.send(
        new SendTaskFailureCommand({ taskToken, error, cause: cause.slice(0, MAX_CAUSE_CHARS) }),
      ),
    );
  }

  private async send(taskToken: string, call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
    } catch (error) {
      // What is thrown from here may be logged: it carries the error's name and message, never the token.
      const name = error instanceof Error ? error.name : 'Error';
      const message = (error instanceof Error ? error.message : String(error)).replaceAll(
        taskToken,
        '<token>',
      );
      if (CLOSED_TOKEN_ERRORS.has(name)) throw new TaskTokenClosedError(message);
      const failure = new Error(`Step Functions refused the callback: ${message}`);
      failure.name = name;
      throw failure;
    }
  }
}
