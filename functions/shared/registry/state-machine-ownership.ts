// Who owns a state machine name: one item per name, written with a conditional put before the machine
// is created, so a name is bound to exactly one (org, workflow, version) for the life of the table.
//   STATEMACHINE#<name> / OWNER   orgId, workflowId, version, claimedAt
// Registration updates an existing machine only when this item proves it is the caller's own, and only
// after taking over a claim old enough that the registration which made it has stopped (claimedAt).
import { DeleteCommand, type DocumentClient, GetCommand, UpdateCommand } from '../clients/table-commands';
import { conditionalWrite, putIfAbsent } from '../table-items';

export interface StateMachineOwner {
  readonly orgId: string;
  readonly workflowId: string;
  readonly version: number;
}

export interface Claim {
  /** True when this call recorded the owner; false when an owner was already recorded. */
  readonly claimed: boolean;
  /** The recorded owner (the caller when `claimed`). */
  readonly owner: StateMachineOwner;
  /** When the recorded claim was made or last taken over (ISO 8601). */
  readonly claimedAt?: string;
}

export interface StateMachineOwnership {
  /** Records `owner` for `name` unless an owner is recorded already. */
  claim(name: string, owner: StateMachineOwner, at: string): Promise<Claim>;
  /** Removes the record of `name` if it still names `owner`. */
  release(name: string, owner: StateMachineOwner): Promise<void>;
  /**
   * Moves the claim of `name` (which names `owner`) to `at`, if it was still made at `claimedAt` as read:
   * one caller takes over a claim left by a registration that stopped. False when another took it first.
   */
  takeOver(
    name: string,
    owner: StateMachineOwner,
    claimedAt: string | undefined,
    at: string,
  ): Promise<boolean>;
}

export const sameOwner = (a: StateMachineOwner, b: StateMachineOwner): boolean =>
  a.orgId === b.orgId && a.workflowId === b.workflowId && a.version === b.version;

const key = (name: string) => ({ pk: `STATEMACHINE#${name}`, sk: 'OWNER' });

export class DynamoStateMachineOwnership implements StateMachineOwnership {
  constructor(
    private readonly client: DocumentClient,
    private readonly tableName: string,
  ) {}

  async claim(name: string, owner: StateMachineOwner, at: string): Promise<Claim> {
    const claimed = await putIfAbsent(this.client, this.tableName, {
      ...key(name),
      type: 'StateMachineOwner',
      stateMachineName: name,
      orgId: owner.orgId,
      workflowId: owner.workflowId,
      version: owner.version,
      claimedAt: at,
    });
    if (claimed) return { claimed: true, owner, claimedAt: at };
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: key(name), ConsistentRead: true }),
    );
    if (!Item) throw new Error(`Ownership of state machine ${name} vanished while being claimed`);
    return {
      claimed: false,
      owner: { orgId: Item.orgId, workflowId: Item.workflowId, version: Item.version },
      ...(typeof Item.claimedAt === 'string' && { claimedAt: Item.claimedAt }),
    };
  }

  async takeOver(
    name: string,
    owner: StateMachineOwner,
    claimedAt: string | undefined,
    at: string,
  ): Promise<boolean> {
    const written = await conditionalWrite(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key(name),
          UpdateExpression: 'SET claimedAt = :at',
          ConditionExpression: `orgId = :org AND workflowId = :workflow AND version = :version AND ${
            claimedAt === undefined ? 'attribute_not_exists(claimedAt)' : 'claimedAt = :read'
          }`,
          ExpressionAttributeValues: {
            ':at': at,
            ':org': owner.orgId,
            ':workflow': owner.workflowId,
            ':version': owner.version,
            ...(claimedAt !== undefined && { ':read': claimedAt }),
          },
        }),
      ),
    );
    return written !== undefined;
  }

  async release(name: string, owner: StateMachineOwner): Promise<void> {
    await conditionalWrite(
      this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: key(name),
          ConditionExpression: 'orgId = :org AND workflowId = :workflow AND version = :version',
          ExpressionAttributeValues: {
            ':org': owner.orgId,
            ':workflow': owner.workflowId,
            ':version': owner.version,
          },
        }),
      ),
    );
  }
}
