/**
 * The embedded stack's Step Functions endpoint: the AWS Step Functions JSON protocol (awsJson1_0, `POST /`
 * with `X-Amz-Target: AWSStepFunctions.<Action>`) over Node's http module, executing the deployed ASL with
 * aws-local-stepfunctions.
 *
 * Emulated:
 * - CreateStateMachine (idempotent on the same name, definition and type), UpdateStateMachine,
 *   DescribeStateMachine, ListStateMachines, DeleteStateMachine; StartExecution (idempotent for a running
 *   execution with the same name and input), DescribeExecution, ListExecutions, StopExecution,
 *   GetExecutionHistory; SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat. Other actions answer
 *   UnknownOperationException. Errors carry the AWS names (StateMachineDoesNotExist, InvalidDefinition, ...).
 * - Task resources: `lambda:invoke` (result wrapped as `{ StatusCode, Payload, ... }`; a function error fails
 *   the task with the error's name), plain Lambda ARNs, `sqs:sendMessage`, `sns:publish`,
 *   `dynamodb:putItem|getItem|updateItem|deleteItem`, and `.waitForTaskToken` on lambda:invoke and
 *   sqs:sendMessage with `HeartbeatSeconds` (`States.HeartbeatTimeout`, also matched by `States.Timeout`).
 * - Context object: `$$.Execution.Id/Name/RoleArn/StartTime/Input`, `$$.StateMachine.Id/Name`,
 *   `$$.Task.Token` (one per Task attempt), `$$.Map.Item.*` — also inside Parallel branches and Map
 *   iterations.
 * - "Step Functions Execution Status Change" events (EventBridge shape) through `onStatusChange`, at least
 *   once: retried when it throws, and an ended execution's event not yet taken when the process stopped is
 *   delivered again at the next start (status-events.ts).
 * - With `dataDir`: state machines and execution records persist (execution-log.ts: an append-only log,
 *   compacted now and then; the oldest-ended beyond `retainedEndedExecutions` are dropped); executions running when the process
 *   stopped (cleanly or killed) resume on the next start (task-journal.ts): finished Tasks answer as
 *   before, a Task waiting for its token waits for the same token. One whose state machine is gone ends
 *   FAILED with `Local.ExecutionLost`, with its status event.
 * - ASL semantics as AWS documents them, checked by test/integration/stepfunctions-conformance.test.ts. Where
 *   aws-local-stepfunctions 3.0.0 differed, patches/aws-local-stepfunctions+3.0.0.patch (applied by npm's
 *   postinstall through patch-package) fixes it: `Is*: false` tests (IsPresent false on a missing field),
 *   typed comparisons that do not match a value of another type, StringMatches with only `*` special,
 *   intrinsic escapes (the interpreter deleted every backslash of a result, breaking States.JsonToString),
 *   States.JsonMerge changing its first argument, `ResultPath: "$"`, intrinsics in ErrorPath/CausePath.
 *
 * Differs from AWS:
 * - asl-validator refuses the `\\\\` escape (a literal backslash) inside an intrinsic function's quoted
 *   argument, so such a definition is InvalidDefinition here; `\\'`, `\\{` and `\\}` work.
 * - Inside Parallel branches and Map iterations, `$$.Execution.Input` and `$$.Execution.StartTime` are the
 *   branch's input and start time (the interpreter's doing); `$$.State.*` (so `$$.State.RetryCount`) is
 *   not available, and `$$.Task.Token` only means something in a Task's Parameters.
 * - JSONata is refused (InvalidDefinition) rather than silently ignored; `.sync` patterns, activities and
 *   any resource not listed above fail the task with `States.Runtime` (AWS would refuse some at create).
 * - HeartbeatSeconds only applies to `.waitForTaskToken` tasks; `States.TaskFailed` also matches
 *   `States.HeartbeatTimeout` (the interpreter exempts only its own `States.Timeout`).
 * - A Task without TimeoutSeconds is limited to ~24.8 days (the largest Node timer), not unlimited.
 * - EXPRESS state machines run like STANDARD ones; no versions, aliases, tags, redrive, activities or
 *   Map Runs. Execution history is approximate: the state, task and Map iteration events, no
 *   Parallel branch or retry markers, and only per-execution (not per-branch) previousEventIds.
 * - A task of a Parallel branch cancelled by a sibling's failure keeps its token until the execution ends.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AwsJsonReply, AwsJsonTransport } from '../../functions/shared/clients/in-process-transport';
import { createActions } from './actions';
import { DefinitionCache } from './definition';
import { SfnApiError } from './errors';
import { ExecutionLog } from './execution-log';
import { Executions } from './executions';
import { Integrations } from './integrations';
import { type StateMachineRecord, StateMachines } from './state-machines';
import { type ExecutionStatusChangeEvent, StatusEventEmitter } from './status-events';
import { JsonFileStore } from './store';
import { TaskTokens } from './task-tokens';

export type { ExecutionStatusChangeEvent } from './status-events';

export interface StepFunctionsLocalOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  region: string;
  accountId: string;
  /** If set, state machines and execution records persist under `<dataDir>/stepfunctions/`. */
  dataDir?: string;
  /** Ended executions kept (DescribeExecution/GetExecutionHistory answer for them). @default 10,000 */
  retainedEndedExecutions?: number;
  /** AWS SDK endpoints of the other local emulators, for service integrations. */
  endpoints: { sqs: string; sns: string; dynamodb: string };
  /** Invokes a Lambda by FunctionName (name or ARN, as written in the ASL Parameters). */
  invokeLambda: (functionName: string, payload: unknown) => Promise<unknown>;
  /** Called with each "Step Functions Execution Status Change" event in EventBridge's exact shape. */
  onStatusChange?: (event: ExecutionStatusChangeEvent) => Promise<void> | void;
  /**
   * How long `close()` lets Task calls under way (a Lambda invocation, a message sent) end and keep their
   * answers, so the next start does not make them again. @default 10,000 ms
   */
  stopGraceMs?: number;
}

/** How long a stop waits for Task calls under way by default. */
export const DEFAULT_STOP_GRACE_MS = 10_000;

const MAX_BODY_BYTES = 10 * 1024 * 1024;

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES)
        reject(new SfnApiError('SerializationException', 'Request body too large', 413));
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function parseRequest(body: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = body.trim() === '' ? {} : JSON.parse(body);
  } catch {
    throw new SfnApiError('SerializationException', 'Request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SfnApiError('SerializationException', 'Request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function send(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  });
  response.end(text);
}

export async function startStepFunctionsLocal(
  options: StepFunctionsLocalOptions,
): Promise<{ url: string; transport: AwsJsonTransport; close(): Promise<void> }> {
  const partition = { region: options.region, accountId: options.accountId };
  const definitions = new DefinitionCache();
  const tokens = new TaskTokens();
  const integrations = new Integrations(options);
  const statusEvents = new StatusEventEmitter(partition, options.onStatusChange);
  const stores = options.dataDir
    ? {
        stateMachines: JsonFileStore.in<StateMachineRecord[]>(options.dataDir, 'state-machines'),
        executions: ExecutionLog.in(options.dataDir),
      }
    : undefined;
  const stateMachines = new StateMachines(partition, definitions, stores?.stateMachines);
  const executions = new Executions({
    partition,
    definitions,
    integrations,
    tokens,
    statusEvents,
    store: stores?.executions,
    retainedEnded: options.retainedEndedExecutions,
    findStateMachine: (arn) => stateMachines.list().find((machine) => machine.stateMachineArn === arn),
  });
  // Restored only once the port is ours: restoring resumes executions (or fails lost ones and reports
  // them), which a stack that then cannot start must not do. Requests wait for it.
  let actionsReady: (actions: ReturnType<typeof createActions>) => void = () => undefined;
  const ready = new Promise<ReturnType<typeof createActions>>((resolve) => {
    actionsReady = resolve;
  });

  /** One request, over HTTP or in process: its status and JSON answer. */
  const serve = async (target: string, body: () => Promise<string> | string): Promise<AwsJsonReply> => {
    try {
      const [service, actionName = ''] = target.split('.');
      const actions = await ready;
      const action = service === 'AWSStepFunctions' ? actions[actionName] : undefined;
      const request = parseRequest(await body());
      if (!action)
        throw new SfnApiError('UnknownOperationException', `Unknown or unsupported operation: ${target}`);
      return { status: 200, body: JSON.stringify(await action(request)) };
    } catch (error) {
      if (error instanceof SfnApiError) {
        return {
          status: error.statusCode,
          body: JSON.stringify({ __type: error.code, message: error.message }),
        };
      }
      console.error('[stepfunctions] internal error', error);
      return {
        status: 500,
        body: JSON.stringify({
          __type: 'InternalFailure',
          message: (error as Error)?.message ?? 'Internal failure',
        }),
      };
    }
  };

  const server = createServer(async (request, response) => {
    if (request.method !== 'POST') {
      const error = new SfnApiError('UnknownOperationException', 'Only POST is supported', 404);
      return send(response, error.statusCode, JSON.stringify({ __type: error.code, message: error.message }));
    }
    const { status, body } = await serve(String(request.headers['x-amz-target'] ?? ''), () =>
      readBody(request),
    );
    send(response, status, body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  try {
    await stateMachines.restore();
    await executions.restore();
  } catch (error) {
    server.close();
    throw error;
  }
  actionsReady(createActions(stateMachines, executions, tokens));
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;

  return {
    url: `http://${host}:${port}`,
    // The same requests in process (functions/shared/clients/in-process-transport.ts), without HTTP.
    transport: ({ target, body }) => serve(target, () => body),
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      // Deliveries under way end first, so that the log still records them; retries stop (those events
      // stay pending in their records, delivered at the next start).
      await statusEvents.close();
      await executions.close(options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS);
      await stores?.executions.close();
      tokens.close();
      await stateMachines.flush();
      await statusEvents.drain();
      integrations.destroy();
      await closed;
    },
  };
}
