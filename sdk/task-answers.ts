// What a worker says to Step Functions about a step it holds, through its task token: still working
// (SendTaskHeartbeat), done (SendTaskSuccess) or failed (SendTaskFailure, the error by name so the
// workflow's retry policy matches it). A token Step Functions no longer waits on (the step timed out, its
// task was cancelled, another answer came first) is `gone`, not an error.
import {
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';

export type TokenState = 'open' | 'gone';

export interface TaskAnswers {
  heartbeat(taskToken: string): Promise<TokenState>;
  /** `output` is the JSON text of the step's output. */
  succeed(taskToken: string, output: string): Promise<TokenState>;
  fail(taskToken: string, error: string, cause: string): Promise<TokenState>;
}

/** Step Functions' limits on SendTaskFailure. */
export const MAX_ERROR_LENGTH = 256;
export const MAX_CAUSE_LENGTH = 32_768;
/** Step Functions' limit on a task's output (SendTaskSuccess), in UTF-8 bytes. */
export const MAX_OUTPUT_BYTES = 262_144;

// TaskTimedOut: the token's task is over; TaskDoesNotExist / InvalidToken: no such task (or not any more).
const GONE = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

export const isTokenGone = (error: unknown) => error instanceof Error && GONE.has(error.name);

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** The error name and cause SendTaskFailure gets for a thrown value: its `name` and message, within the limits. */
export function failureOf(thrown: unknown): { error: string; cause: string } {
  if (thrown instanceof Error) {
    return {
      error: clip(thrown.name || 'Error', MAX_ERROR_LENGTH),
      cause: clip(thrown.message, MAX_CAUSE_LENGTH),
    };
  }
  return { error: 'Error', cause: clip(String(thrown), MAX_CAUSE_LENGTH) };
}

export class SfnTaskAnswers implements TaskAnswers {
  constructor(private readonly sfn: Pick<SFNClient, 'send'>) {}

  heartbeat(taskToken: string): Promise<TokenState> {
    return this.answer(() => this.sfn.send(new SendTaskHeartbeatCommand({ taskToken })));
  }

  succeed(taskToken: string, output: string): Promise<TokenState> {
    return this.answer(() => this.sfn.send(new SendTaskSuccessCommand({ taskToken, output })));
  }

  fail(taskToken: string, error: string, cause: string): Promise<TokenState> {
    return this.answer(() =>
      this.sfn.send(
        new SendTaskFailureCommand({
          taskToken,
          error: clip(error, MAX_ERROR_LENGTH),
          cause: clip(cause, MAX_CAUSE_LENGTH),
        }),
      ),
    );
  }

  private async answer(call: () => Promise<unknown>): Promise<TokenState> {
    try {
      await call();
      return 'open';
    } catch (error) {
      if (isTokenGone(error)) return 'gone';
      throw error;
    }
  }
}
