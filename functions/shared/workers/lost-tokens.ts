// Failing the task tokens a dead worker held, so Step Functions retries their steps now rather than after
// HeartbeatSeconds. A token that is already closed (the step finished late, timed out, or its execution
// ended) answers TaskTimedOut or TaskDoesNotExist: the race with a late completion is harmless.
import { SendTaskFailureCommand, type SfnClient } from '../clients/sfn';
import { WORKER_LOST } from './agent-attempts';

export type LostTokenOutcome = 'failed' | 'closed';

export type FailLostToken = (taskToken: string, cause: string) => Promise<LostTokenOutcome>;

const CLOSED = new Set(['TaskTimedOut', 'TaskDoesNotExist']);

/** SendTaskFailure with `Worker.Lost`; an already closed token is 'closed', any other error is thrown. */
export function sfnFailLostToken(sfn: Pick<SfnClient, 'send'>): FailLostToken {
  return async (taskToken, cause) => {
    try {
      await sfn.send(new SendTaskFailureCommand({ taskToken, error: WORKER_LOST, cause }));
      return 'failed';
    } catch (error) {
      if (error instanceof Error && CLOSED.has(error.name)) return 'closed';
      throw error;
    }
  };
}
