// In-memory workflow versions, ownership records and state machines with the contracts of the DynamoDB
// and Step Functions ones, for unit tests of registration.
import type { WorkflowVersions } from '../../../functions/shared/registry/register-workflow';
import type {
  Claim,
  StateMachineOwner,
  StateMachineOwnership,
} from '../../../functions/shared/registry/state-machine-ownership';
import type { StateMachines } from '../../../functions/shared/registry/state-machines';
import type { WorkflowVersion } from '../../../functions/shared/registry/workflow-store';

export class InMemoryWorkflowVersions implements WorkflowVersions {
  readonly versions = new Map<string, WorkflowVersion>();
  private key = (orgId: string, workflowId: string, version?: number) =>
    JSON.stringify([orgId, workflowId, version]);

  async getVersion(orgId: string, workflowId: string, version?: number) {
    return this.versions.get(this.key(orgId, workflowId, version));
  }

  async putVersion(version: WorkflowVersion): Promise<boolean> {
    const key = this.key(version.orgId, version.workflowId, version.version);
    if (this.versions.has(key)) return false;
    this.versions.set(key, version);
    return true;
  }
}

export class InMemoryOwnership implements StateMachineOwnership {
  readonly owners = new Map<string, StateMachineOwner>();
  /** When each claim was made or taken over; a claim made without a time is long past. */
  readonly claimedAt = new Map<string, string>();

  async claim(name: string, owner: StateMachineOwner, at = '2000-01-01T00:00:00.000Z'): Promise<Claim> {
    const recorded = this.owners.get(name);
    if (recorded) return { claimed: false, owner: recorded, claimedAt: this.claimedAt.get(name) };
    this.owners.set(name, owner);
    this.claimedAt.set(name, at);
    return { claimed: true, owner, claimedAt: at };
  }

  async release(name: string, owner: StateMachineOwner): Promise<void> {
    const recorded = this.owners.get(name);
    if (recorded && JSON.stringify(recorded) === JSON.stringify(owner)) {
      this.owners.delete(name);
      this.claimedAt.delete(name);
    }
  }

  async takeOver(
    name: string,
    owner: StateMachineOwner,
    claimedAt: string | undefined,
    at: string,
  ): Promise<boolean> {
    const recorded = this.owners.get(name);
    if (!recorded || JSON.stringify(recorded) !== JSON.stringify(owner)) return false;
    if (this.claimedAt.get(name) !== claimedAt) return false;
    this.claimedAt.set(name, at);
    return true;
  }
}

export class InMemoryStateMachines implements StateMachines {
  /** Definitions by machine name. */
  readonly definitions = new Map<string, string>();
  readonly calls: { readonly op: 'create' | 'update'; readonly name: string }[] = [];

  arn = (name: string) => `arn:aws:states:us-east-1:123456789012:stateMachine:${name}`;

  async create(name: string, definition: string): Promise<string | undefined> {
    this.calls.push({ op: 'create', name });
    if (this.definitions.has(name)) return undefined;
    this.definitions.set(name, definition);
    return this.arn(name);
  }

  async update(name: string, definition: string): Promise<string> {
    this.calls.push({ op: 'update', name });
    if (!this.definitions.has(name)) throw new Error(`StateMachineDoesNotExist: ${name}`);
    this.definitions.set(name, definition);
    return this.arn(name);
  }
}
