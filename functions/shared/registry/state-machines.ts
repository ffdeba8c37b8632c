// The slice of Step Functions that registration uses, behind an interface so registration is unit-tested
// with an in-memory fake. Every machine runs as the one workflow role and is traced.
import {
  CreateStateMachineCommand,
  type SFNClient,
  StateMachineAlreadyExists,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';

export interface StateMachines {
  /** Creates a STANDARD machine and returns its ARN; undefined when a machine of that name exists. */
  create(name: string, definition: string): Promise<string | undefined>;
  /** Replaces the definition of the existing machine `name` and returns its ARN. */
  update(name: string, definition: string): Promise<string>;
}

export class SfnStateMachines implements StateMachines {
  constructor(
    private readonly sfn: SFNClient,
    /** The role every workflow state machine runs as. */
    private readonly roleArn: string,
  ) {}

  async create(name: string, definition: string): Promise<string | undefined> {
    try {
      const created = await this.sfn.send(
        new CreateStateMachineCommand({
          name,
          definition,
          roleArn: this.roleArn,
          type: 'STANDARD',
          tracingConfiguration: { enabled: true },
        }),
      );
      return created.stateMachineArn;
    } catch (error) {
      if (error instanceof StateMachineAlreadyExists) return undefined;
      throw error;
    }
  }

  async update(name: string, definition: string): Promise<string> {
    const stateMachineArn = await this.arnOf(name);
    await this.sfn.send(
      new UpdateStateMachineCommand({ stateMachineArn, definition, roleArn: this.roleArn }),
    );
    return stateMachineArn;
  }

  /** Machines live in the workflow role's account and the client's region. */
  private async arnOf(name: string): Promise<string> {
    const [, partition, , , account] = this.roleArn.split(':');
    const region = await this.sfn.config.region();
    return `arn:${partition}:states:${region}:${account}:stateMachine:${name}`;
  }
}
