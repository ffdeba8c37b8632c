// Completing a state that waits on a task token (SendTaskSuccess / SendTaskFailure). Step Functions
// answers TaskTimedOut or TaskDoesNotExist for a token whose wait is over (timed out, its execution
// ended, already completed): that is an answer about the approval, not a failure of ours.
import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';

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
  constructor(private readonly client: SFNClient) {}

  async succeed(taskToken: string, output: unknown): Promise<void> {
    await this.send(() =>
      this.client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })),
    );
  }

  async fail(taskToken: string, error: string, cause: string): Promise<void> {
    await this.send(() =>
      this.client.send(
        new SendTaskFailureCommand({ taskToken, error, cause: cause.slice(0, MAX_CAUSE_CHARS) }),
      ),
    );
  }

  private async send(call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
    } catch (error) {
      // The SDK's message never holds the token; the error is rethrown without it either way.
      if (error instanceof Error && CLOSED_TOKEN_ERRORS.has(error.name)) {
        throw new TaskTokenClosedError(error.message, { cause: error });
      }
      throw error;
    }
  }
}
