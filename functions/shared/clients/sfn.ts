// The Step Functions client (see once.ts for how clients are made): Step Functions speaks the AWS JSON
// protocol (1.0), so this is the lean client (aws-json.ts), not the SDK's: nothing is loaded at cold start
// (the api starts an execution per task), and the embedded stack can serve it in process. Its commands
// have the SDK's call-site shape and types (imported as types only); timestamps, epoch seconds on the
// wire, are turned into Dates as the SDK does.
import type * as Sfn from '@aws-sdk/client-sfn';
import { AwsJsonClient, type AwsJsonClientOptions, type AwsJsonService } from './aws-json';
import { once } from './once';
import { type ServiceClient, serviceCommand } from './service-command';

export const SFN_SERVICE: AwsJsonService = {
  signingName: 'states',
  targetPrefix: 'AWSStepFunctions',
  jsonVersion: '1.0',
  endpointEnvName: 'SFN',
  traceName: 'SFN',
};

export type SfnClient = ServiceClient<'sfn'>;

export function createSfnClient(options: AwsJsonClientOptions = {}): SfnClient {
  const client = new AwsJsonClient(SFN_SERVICE, options);
  return {
    send: async (command) => withDates(await client.call(command.operation, command.input)) as never,
  };
}

export const sfnClient = once(() => createSfnClient());

/** Step Functions' timestamp fields (`startDate`, `stopDate`, `creationDate`, ...) as Dates, at any depth. */
function withDates(value: unknown, key = ''): unknown {
  if (typeof value === 'number' && key.endsWith('Date')) return new Date(value * 1000);
  if (Array.isArray(value)) return value.map((item) => withDates(item));
  if (value && typeof value === 'object') {
    for (const [field, inner] of Object.entries(value)) {
      (value as Record<string, unknown>)[field] = withDates(inner, field);
    }
  }
  return value;
}

export const StartExecutionCommand = serviceCommand<
  'sfn',
  Sfn.StartExecutionCommandInput,
  Sfn.StartExecutionCommandOutput
>('sfn', 'StartExecution');
export const StopExecutionCommand = serviceCommand<
  'sfn',
  Sfn.StopExecutionCommandInput,
  Sfn.StopExecutionCommandOutput
>('sfn', 'StopExecution');
export const DescribeExecutionCommand = serviceCommand<
  'sfn',
  Sfn.DescribeExecutionCommandInput,
  Sfn.DescribeExecutionCommandOutput
>('sfn', 'DescribeExecution');
export const SendTaskSuccessCommand = serviceCommand<
  'sfn',
  Sfn.SendTaskSuccessCommandInput,
  Sfn.SendTaskSuccessCommandOutput
>('sfn', 'SendTaskSuccess');
export const SendTaskFailureCommand = serviceCommand<
  'sfn',
  Sfn.SendTaskFailureCommandInput,
  Sfn.SendTaskFailureCommandOutput
>('sfn', 'SendTaskFailure');
export const CreateStateMachineCommand = serviceCommand<
  'sfn',
  Sfn.CreateStateMachineCommandInput,
  Sfn.CreateStateMachineCommandOutput
>('sfn', 'CreateStateMachine');
export const UpdateStateMachineCommand = serviceCommand<
  'sfn',
  Sfn.UpdateStateMachineCommandInput,
  Sfn.UpdateStateMachineCommandOutput
>('sfn', 'UpdateStateMachine');
export const ListStateMachinesCommand = serviceCommand<
  'sfn',
  Sfn.ListStateMachinesCommandInput,
  Sfn.ListStateMachinesCommandOutput
>('sfn', 'ListStateMachines');
