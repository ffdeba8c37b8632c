// The worker's reports to the agentReports function (functions/shared/workers/agent-attempts.ts), invoked
// synchronously: `claimed` when it takes a step (the answer is the attempt number, or `stale` when the task
// is settled and the step must not run), `finished` when it is done. They are what the task's timeline
// shows of the attempt: which worker ran it, when, and how it ended.
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type {
  AgentReportError,
  ClaimedReport,
  ClaimedResult,
  FinishedReport,
} from '../functions/shared/workers/agent-attempts';

export type ClaimAnswer = ClaimedResult | AgentReportError;

export interface AttemptReports {
  claimed(report: ClaimedReport): Promise<ClaimAnswer>;
  /** Resolves once recorded; a refusal (AgentReportError) is thrown as an AttemptReportError. */
  finished(report: FinishedReport): Promise<void>;
}

/** The recorder could not be reached, failed, or refused a `finished` report. */
export class AttemptReportError extends Error {
  override name = 'AttemptReportError';
}

export const isRefusal = (answer: unknown): answer is AgentReportError =>
  typeof answer === 'object' && answer !== null && 'error' in answer && 'statusCode' in answer;

export class LambdaAttemptReports implements AttemptReports {
  constructor(
    private readonly lambda: Pick<LambdaClient, 'send'>,
    private readonly functionName: string,
  ) {}

  async claimed(report: ClaimedReport): Promise<ClaimAnswer> {
    return (await this.invoke(report)) as ClaimAnswer;
  }

  async finished(report: FinishedReport): Promise<void> {
    const answer = await this.invoke(report);
    if (isRefusal(answer)) throw new AttemptReportError(`${answer.error}: ${answer.message}`);
  }

  private async invoke(report: ClaimedReport | FinishedReport): Promise<unknown> {
    const reply = await this.lambda.send(
      new InvokeCommand({ FunctionName: this.functionName, Payload: JSON.stringify(report) }),
    );
    const text = Buffer.from(reply.Payload ?? []).toString('utf8');
    if (reply.FunctionError) {
      throw new AttemptReportError(
        `${this.functionName} failed (${reply.FunctionError}): ${text.slice(0, 500)}`,
      );
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new AttemptReportError(`${this.functionName} answered something that is not JSON`);
    }
  }
}
