// The Step Functions API actions: request fields in, response fields out, in the shapes the AWS SDK v3
// SFNClient sends and parses (awsJson1_0; timestamps as epoch seconds).
import { assertStateMachineArn } from './arns';
import { invalidOutput, invalidToken, validationError } from './errors';
import type { ExecutionRecord, Executions } from './executions';
import type { StateMachineRecord, StateMachines } from './state-machines';
import type { TaskTokens } from './task-tokens';

export type Request = Record<string, unknown>;
export type Action = (request: Request) => unknown;

const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

/** Offset pagination behind an opaque token. */
function page<T>(items: T[], request: Request, defaultSize: number): { items: T[]; nextToken?: string } {
  const size =
    typeof request.maxResults === 'number' && request.maxResults > 0 ? request.maxResults : defaultSize;
  let start = 0;
  if (request.nextToken !== undefined) {
    start = Number(Buffer.from(String(request.nextToken), 'base64url').toString());
    if (!Number.isInteger(start) || start < 0) throw invalidToken('Invalid pagination token');
  }
  const end = start + size;
  return {
    items: items.slice(start, end),
    nextToken: end < items.length ? Buffer.from(String(end)).toString('base64url') : undefined,
  };
}

function describeStateMachine(record: StateMachineRecord) {
  return {
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    status: 'ACTIVE',
    definition: record.definition,
    roleArn: record.roleArn,
    type: record.type,
    creationDate: seconds(record.creationDate),
    description: record.description,
    revisionId: record.revisionId,
    loggingConfiguration: record.loggingConfiguration ?? { level: 'OFF', includeExecutionData: false },
    tracingConfiguration: record.tracingConfiguration ?? { enabled: false },
  };
}

function executionSummary(record: ExecutionRecord) {
  return {
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    status: record.status,
    startDate: seconds(record.startDate),
    stopDate: seconds(record.stopDate),
    redriveCount: 0,
  };
}

function describeExecution(record: ExecutionRecord) {
  return {
    ...executionSummary(record),
    input: record.input,
    inputDetails: { included: true },
    output: record.output,
    outputDetails: record.output === undefined ? undefined : { included: true },
    error: record.error,
    cause: record.cause,
  };
}

const taskOutput = (output: unknown): unknown => {
  if (typeof output !== 'string')
    throw validationError("Value at 'output' failed to satisfy constraint: Member must not be null");
  try {
    return JSON.parse(output);
  } catch {
    throw invalidOutput('output is not valid JSON');
  }
};

export function createActions(
  stateMachines: StateMachines,
  executions: Executions,
  tokens: TaskTokens,
): Record<string, Action> {
  return {
    // Writes answer only once on disk, so a stack killed right after an answer keeps what it acknowledged.
    CreateStateMachine: async (r) => {
      const record = stateMachines.create(r);
      await stateMachines.flush();
      return { stateMachineArn: record.stateMachineArn, creationDate: seconds(record.creationDate) };
    },
    UpdateStateMachine: async (r) => {
      const record = stateMachines.update(r);
      await stateMachines.flush();
      return { updateDate: seconds(record.updateDate), revisionId: record.revisionId };
    },
    DescribeStateMachine: (r) => describeStateMachine(stateMachines.get(r.stateMachineArn)),
    ListStateMachines: (r) => {
      const { items, nextToken } = page(stateMachines.list(), r, 100);
      return {
        stateMachines: items.map((m) => ({
          stateMachineArn: m.stateMachineArn,
          name: m.name,
          type: m.type,
          creationDate: seconds(m.creationDate),
        })),
        nextToken,
      };
    },
    DeleteStateMachine: async (r) => {
      stateMachines.delete(r.stateMachineArn);
      await stateMachines.flush();
      return {};
    },
    StartExecution: async (r) => {
      const record = executions.start(stateMachines.get(r.stateMachineArn), r.name, r.input);
      await executions.flush();
      return { executionArn: record.executionArn, startDate: seconds(record.startDate) };
    },
    DescribeExecution: (r) => describeExecution(executions.describe(r.executionArn)),
    ListExecutions: (r) => {
      const stateMachine = stateMachines.get(assertStateMachineArn(r.stateMachineArn));
      const { items, nextToken } = page(
        executions.list(stateMachine.stateMachineArn, r.statusFilter),
        r,
        100,
      );
      return { executions: items.map(executionSummary), nextToken };
    },
    StopExecution: (r) => ({ stopDate: seconds(executions.stop(r.executionArn, r.error, r.cause).stopDate) }),
    GetExecutionHistory: (r) => {
      const record = executions.describe(r.executionArn);
      const events = r.reverseOrder === true ? [...record.history].reverse() : record.history;
      const { items, nextToken } = page(events, r, 1000);
      const withData = r.includeExecutionData !== false;
      return {
        events: items.map((event) => {
          const copy = { ...event, timestamp: event.timestamp / 1000 };
          return withData
            ? copy
            : JSON.parse(
                JSON.stringify(copy, (k, v) =>
                  ['input', 'output', 'parameters'].includes(k) ? undefined : v,
                ),
              );
        }),
        nextToken,
      };
    },
    SendTaskSuccess: (r) => {
      tokens.succeed(r.taskToken, taskOutput(r.output));
      return {};
    },
    SendTaskFailure: (r) => {
      tokens.fail(
        r.taskToken,
        typeof r.error === 'string' ? r.error : '',
        typeof r.cause === 'string' ? r.cause : '',
      );
      return {};
    },
    SendTaskHeartbeat: (r) => {
      tokens.heartbeat(r.taskToken);
      return {};
    },
  };
}
