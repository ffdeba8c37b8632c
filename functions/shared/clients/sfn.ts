// The Step Functions client (see once.ts for how clients are made), its SDK package loaded on the first
// call (lazy-sdk.ts).
import type * as Sfn from '@aws-sdk/client-sfn';
import { type ClientSettings, lazySdkClient } from './lazy-sdk';
import { once } from './once';
import { type ServiceClient, serviceCommand } from './service-command';

export type SfnClient = ServiceClient<'sfn'>;

export function createSfnClient(settings: ClientSettings = {}): SfnClient {
  return lazySdkClient(
    'sfn',
    () => import('@aws-sdk/client-sfn'),
    (sdk) => new sdk.SFNClient(settings),
  );
}

export const sfnClient = once(() => createSfnClient());

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
