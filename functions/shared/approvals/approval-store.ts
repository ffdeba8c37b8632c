// Approvals in the single table, one item per approval step (and map iteration), next to the task's
// other items:
//   TASK#<taskId> / APPROVAL#<stepId>[#<mapIndex 5 digits>]   the approval, its task token, its decision
//   gsi1  ORG#<org>#APPROVALS#<status> / <requestedAt>#<taskId>#<stepKey>   an org's approvals by status
//   gsi2  TASK#<taskId>#APPROVALS#<status> / <stepKey>                     a task's approvals by status
// Every status change is one conditional write on the status read, and moves both index keys with it;
// it sets gsi2sk too, which an approval requested before gsi2 existed lacks (an item without both gsi2
// keys is in no gsi2 partition), so such an approval is listed by status from its next change on.
import {
  type DocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '../clients/table-commands';
import { conditionalWrite, fromItem, putIfAbsent } from '../table-items';
import {
  type Approval,
  type ApprovalKey,
  type ApprovalStatus,
  approvalStepKey,
  type Decision,
  type StoredApproval,
} from './approval';

export interface DecisionRecord {
  readonly status: 'APPROVED' | 'REJECTED';
  readonly decision: Decision;
  readonly comment?: string;
  readonly decidedBy: string;
  readonly decidedAt: string;
}

/** The state an approval must still be in for a write to apply: its status, and for a decision its time. */
export interface ExpectedState {
  readonly status: ApprovalStatus;
  readonly decidedAt?: string;
}

export interface ApprovalPage {
  readonly items: StoredApproval[];
  /** The store's own cursor (sign it before it leaves the API); absent on the last page. */
  readonly cursor?: string;
}

/** An approval's key with its org, which its index key holds. */
export type OrgApprovalKey = ApprovalKey & Pick<Approval, 'orgId'>;

export interface ApprovalStore {
  /** The approval (consistent read), whatever its org: callers check `orgId`. */
  get(key: ApprovalKey): Promise<StoredApproval | undefined>;
  /** Writes a new approval; false when the step already has one. */
  create(approval: StoredApproval): Promise<boolean>;
  /** Gives a PENDING approval the token of a new wait (its step runner invocation was retried). */
  replaceToken(key: ApprovalKey, taskToken: string): Promise<boolean>;
  markNotified(key: ApprovalKey, at: string): Promise<void>;
  /** Step Functions has the decision `expected` (or waits no more): the reconciler need not send it again. */
  markDelivered(key: OrgApprovalKey, at: string, expected: ExpectedState): Promise<boolean>;
  /** PENDING -> APPROVED | REJECTED; false when it was no longer PENDING. */
  decide(approval: OrgApprovalKey, decision: DecisionRecord): Promise<boolean>;
  /** -> EXPIRED, when still as `expected`; the decision (if any) is cleared. */
  expire(approval: OrgApprovalKey, at: string, expected: ExpectedState): Promise<boolean>;
  /** Back to PENDING from the decision `expected` (a decision Step Functions could not be told). */
  reopen(approval: OrgApprovalKey, expected: ExpectedState): Promise<boolean>;
  /** Every PENDING approval of a task -> EXPIRED (its task ended while they waited); how many. */
  expirePending(taskId: string, at: string): Promise<number>;
  /** An org's approvals of one status, newest request first. */
  list(orgId: string, status: ApprovalStatus, limit: number, cursor?: string): Promise<ApprovalPage>;
  /**
   * A task's approvals (whatever their org: callers check the task's), by step id then map index; those
   * of one status only when `status` is given.
   */
  listForTask(taskId: string, limit: number, cursor?: string, status?: ApprovalStatus): Promise<ApprovalPage>;
}

const approvalKey = (key: ApprovalKey) => ({
  pk: `TASK#${key.taskId}`,
  sk: `APPROVAL#${approvalStepKey(key)}`,
});
const statusPartition = (orgId: string, status: ApprovalStatus) => `ORG#${orgId}#APPROVALS#${status}`;
const taskStatusPartition = (taskId: string, status: ApprovalStatus) => `TASK#${taskId}#APPROVALS#${status}`;

export class DynamoApprovalStore implements ApprovalStore {
  constructor(
    private readonly client: DocumentClient,
    private readonly tableName: string,
  ) {}

  async get(key: ApprovalKey): Promise<StoredApproval | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: approvalKey(key), ConsistentRead: true }),
    );
    return Item ? fromItem<StoredApproval>(Item) : undefined;
  }

  create(approval: StoredApproval): Promise<boolean> {
    return putIfAbsent(this.client, this.tableName, {
      ...approvalKey(approval),
      type: 'Approval',
      ...approval,
      gsi1pk: statusPartition(approval.orgId, approval.status),
      gsi1sk: `${approval.requestedAt}#${approval.taskId}#${approvalStepKey(approval)}`,
      gsi2pk: taskStatusPartition(approval.taskId, approval.status),
      gsi2sk: approvalStepKey(approval),
    });
  }

  replaceToken(key: ApprovalKey, taskToken: string): Promise<boolean> {
    return this.update(key, 'SET taskToken = :token', { status: 'PENDING' }, { ':token': taskToken });
  }

  async markNotified(key: ApprovalKey, at: string): Promise<void> {
    await this.update(key, 'SET notifiedAt = :at', undefined, { ':at': at });
  }

  markDelivered(key: OrgApprovalKey, at: string, expected: ExpectedState): Promise<boolean> {
    return this.update(key, 'SET deliveredAt = :at', expected, { ':at': at });
  }

  decide(key: OrgApprovalKey, decision: DecisionRecord): Promise<boolean> {
    return this.update(
      key,
      'SET #status = :next, gsi1pk = :partition, gsi2pk = :taskPartition, gsi2sk = :stepKey, decision = :decision, decidedBy = :by, decidedAt = :at, #comment = :comment',
      { status: 'PENDING' },
      {
        ':next': decision.status,
        ':partition': statusPartition(key.orgId, decision.status),
        ':taskPartition': taskStatusPartition(key.taskId, decision.status),
        ':stepKey': approvalStepKey(key),
        ':decision': decision.decision,
        ':by': decision.decidedBy,
        ':at': decision.decidedAt,
        ':comment': decision.comment ?? null,
      },
    );
  }

  expire(key: OrgApprovalKey, at: string, expected: ExpectedState): Promise<boolean> {
    return this.update(
      key,
      'SET #status = :next, gsi1pk = :partition, gsi2pk = :taskPartition, gsi2sk = :stepKey, expiredAt = :at REMOVE decision, decidedBy, decidedAt, #comment',
      expected,
      {
        ':next': 'EXPIRED',
        ':partition': statusPartition(key.orgId, 'EXPIRED'),
        ':taskPartition': taskStatusPartition(key.taskId, 'EXPIRED'),
        ':stepKey': approvalStepKey(key),
        ':at': at,
      },
    );
  }

  reopen(key: OrgApprovalKey, expected: ExpectedState): Promise<boolean> {
    return this.update(
      key,
      'SET #status = :next, gsi1pk = :partition, gsi2pk = :taskPartition, gsi2sk = :stepKey REMOVE decision, decidedBy, decidedAt, #comment',
      expected,
      {
        ':next': 'PENDING',
        ':partition': statusPartition(key.orgId, 'PENDING'),
        ':taskPartition': taskStatusPartition(key.taskId, 'PENDING'),
        ':stepKey': approvalStepKey(key),
      },
    );
  }

  async expirePending(taskId: string, at: string): Promise<number> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': `TASK#${taskId}`, ':prefix': 'APPROVAL#' },
        ConsistentRead: true,
      }),
    );
    let expired = 0;
    for (const approval of Items.map((item) => fromItem<StoredApproval>(item))) {
      if (approval.status === 'PENDING' && (await this.expire(approval, at, { status: 'PENDING' })))
        expired++;
    }
    return expired;
  }

  async list(orgId: string, status: ApprovalStatus, limit: number, cursor?: string): Promise<ApprovalPage> {
    // The cursor is the last item's gsi1sk: the signer binds it to the org and the status.
    return this.page('gsi1sk', {
      IndexName: 'gsi1',
      KeyConditionExpression: `gsi1pk = :pk${cursor ? ' AND gsi1sk < :before' : ''}`,
      ExpressionAttributeValues: {
        ':pk': statusPartition(orgId, status),
        ...(cursor && { ':before': cursor }),
      },
      ScanIndexForward: false,
      Limit: limit,
    });
  }

  async listForTask(
    taskId: string,
    limit: number,
    cursor?: string,
    status?: ApprovalStatus,
  ): Promise<ApprovalPage> {
    if (status) {
      // The cursor is the last item's gsi2sk (its step key, unique in the task): the signer binds it to the
      // task and the status.
      return this.page('gsi2sk', {
        IndexName: 'gsi2',
        KeyConditionExpression: `gsi2pk = :pk${cursor ? ' AND gsi2sk > :after' : ''}`,
        ExpressionAttributeValues: {
          ':pk': taskStatusPartition(taskId, status),
          ...(cursor && { ':after': cursor }),
        },
        Limit: limit,
      });
    }
    // The cursor is the last item's sort key (`APPROVAL#...`): the signer binds it to the task.
    const pk = `TASK#${taskId}`;
    return this.page('sk', {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': 'APPROVAL#' },
      ...(cursor && { ExclusiveStartKey: { pk, sk: cursor } }),
      Limit: limit,
    });
  }

  /** One page of a query; its cursor, when more follow, is the last item's `cursorAttribute`. */
  private async page(
    cursorAttribute: string,
    query: Omit<QueryCommandInput, 'TableName'>,
  ): Promise<ApprovalPage> {
    const { Items = [], LastEvaluatedKey } = await this.client.send(
      new QueryCommand({ TableName: this.tableName, ...query }),
    );
    const last = Items.at(-1);
    return {
      items: Items.map((item) => fromItem<StoredApproval>(item)),
      ...(LastEvaluatedKey && last && { cursor: String(last[cursorAttribute]) }),
    };
  }

  /** One conditional update of the approval item: false when it does not exist or is not as expected. */
  private async update(
    key: ApprovalKey,
    expression: string,
    expected: ExpectedState | undefined,
    values: Record<string, unknown>,
  ): Promise<boolean> {
    const conditions = ['attribute_exists(pk)'];
    const conditionValues: Record<string, unknown> = {};
    if (expected) {
      conditions.push('#status = :expected');
      conditionValues[':expected'] = expected.status;
      if (expected.decidedAt !== undefined) {
        conditions.push('decidedAt = :expectedDecidedAt');
        conditionValues[':expectedDecidedAt'] = expected.decidedAt;
      }
    }
    const names: Record<string, string> = {};
    if (expression.includes('#status') || expected) names['#status'] = 'status';
    if (expression.includes('#comment')) names['#comment'] = 'comment';
    const written = await conditionalWrite(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: approvalKey(key),
          UpdateExpression: expression,
          ConditionExpression: conditions.join(' AND '),
          ...(Object.keys(names).length > 0 && { ExpressionAttributeNames: names }),
          ExpressionAttributeValues: { ...values, ...conditionValues },
        }),
      ),
    );
    return written !== undefined;
  }
}
