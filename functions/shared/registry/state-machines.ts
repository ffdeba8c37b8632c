// The slice of Step Functions that registration uses, behind an interface so registration is unit-tested
// with an in-memory fake. Every machine runs as the one workflow role and is traced.
import { CreateStateMachineCommand, type SfnClient, UpdateStateMachineCommand } from '../clients/sfn';

/**
 * Step Functions refused a compiled definition (InvalidDefinition): something validation let through,
 * such as a malformed intrinsic in a `.$` param. The message is Step Functions' own and names the state.
 */
export class StateMachineDefinitionRefused extends Error {
  override name = 'StateMachineDefinitionRefused';
}

function refusedOr(error: unknown): unknown {
  return error instanceof Error && error.name === 'InvalidDefinition'
    ? new StateMachineDefinitionRefused(error.message, { cause: error })
    : error;
}

export interface StateMachines {
  /**
   * Creates a STANDARD machine and returns its ARN; undefined when a machine of that name exists.
   * Throws StateMachineDefinitionRefused when Step Functions refuses the definition (as does update).
   */
  create(name: string, definition: string): Promise<string | undefined>;
  /** Replaces the definition of the existing machine `name` and returns its ARN. */
  update(name: string, definition: string): Promise<string>;
}

export class SfnStateMachines implements StateMachines {
  constructor(
    private readonly sfn: Pick<SfnClient, 'send'>,
    /** The role every workflow state machine runs as. */
    private readonly roleArn: string,
    /** The client's region (AWS_REGION), where the machines are. */
    private readonly region: string,
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
      if (error instanceof Error && error.name === 'StateMachineAlreadyExists') return undefined;
      throw refusedOr(error);
    }
  }

  async update(name: string, definition: string): Promise<string> {
    const stateMachineArn = await this.arnOf(name);
    try {
      await this.sfn.send(
        new UpdateStateMachineCommand({ stateMachineArn, definition, roleArn: this.roleArn }),
      );
    } catch (error) {
      throw refusedOr(error);
    }
    return stateMachineArn;
  }

  /** Machines live in the workflow role's account and the client's region. */
  private async arnOf(name: string): Promise<string> {
    const [, partition, , , account] = this.roleArn.split(':');
    return `arn:${partition}:states:${this.region}:${account}:stateMachine:${name}`;
  }
}
