// An execution's history in the shape GetExecutionHistory returns. Two sources feed it: the interpreter's
// event log (executions, states, Map iterations) and the task runner (TaskScheduled ... TaskSucceeded),
// which knows the resource, parameters and result that the event log does not carry.
import type { StateMachine } from 'aws-local-stepfunctions';

type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

export interface HistoryEvent {
  /** Epoch milliseconds here; the API answers epoch seconds. */
  timestamp: number;
  type: string;
  id: number;
  previousEventId: number;
  [details: string]: unknown;
}

const json = (value: unknown) => JSON.stringify(value ?? null);
const payloadDetails = { truncated: false };

// `TaskStateEntered`, `MapStateExited`, ...: AWS names state events after the state type.
const stateEvent = (type: string, phase: string) => `${type}State${phase}`;

export class History {
  constructor(readonly events: HistoryEvent[] = []) {}

  add(type: string, details: Record<string, unknown> = {}): void {
    const id = this.events.length + 1;
    this.events.push({ timestamp: Date.now(), type, id, previousEventId: id - 1, ...details });
  }

  /**
   * Maps one interpreter event. Task and Fail failures are left out: the task runner records the task's
   * own events, and the execution's end is recorded by the execution once its outcome is known.
   */
  addFromInterpreter(event: EventLog): void {
    switch (event.type) {
      case 'StateEntered':
        this.add(stateEvent(event.state.type, 'Entered'), {
          stateEnteredEventDetails: {
            name: event.state.name,
            input: json(event.state.input),
            inputDetails: payloadDetails,
          },
        });
        if (event.state.type === 'Map' || event.state.type === 'Parallel')
          this.add(stateEvent(event.state.type, 'Started'));
        break;
      case 'StateExited':
        if (event.state.type === 'Map' || event.state.type === 'Parallel')
          this.add(stateEvent(event.state.type, 'Succeeded'));
        this.add(stateEvent(event.state.type, 'Exited'), {
          stateExitedEventDetails: {
            name: event.state.name,
            output: json(event.state.output),
            outputDetails: payloadDetails,
          },
        });
        break;
      case 'StateFailed':
        if (event.state.type === 'Map' || event.state.type === 'Parallel') {
          this.add(stateEvent(event.state.type, 'Failed'));
        }
        break;
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed':
        this.add(event.type, {
          mapIterationEventDetails: { name: event.parentState.name, index: event.index },
        });
        break;
      default:
        // ExecutionStarted/Succeeded/...: recorded by the execution; Parallel branch and retry/catch
        // markers have no AWS counterpart.
        break;
    }
  }
}
