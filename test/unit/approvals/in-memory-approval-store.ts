// An in-memory ApprovalStore with the same conditions as DynamoApprovalStore, for unit tests of the
// approval domain.
import type {
  ApprovalKey,
  ApprovalStatus,
  StoredApproval,
} from '../../../functions/shared/approvals/approval';
import type {
  ApprovalPage,
  ApprovalStore,
  DecisionRecord,
  ExpectedState,
} from '../../../functions/shared/approvals/approval-store';

const keyOf = (key: ApprovalKey) => `${key.taskId}/${key.stepId}/${key.mapIndex ?? ''}`;

export class InMemoryApprovalStore implements ApprovalStore {
  readonly items = new Map<string, StoredApproval>();

  async get(key: ApprovalKey) {
    return this.items.get(keyOf(key));
  }

  async create(approval: StoredApproval) {
    if (this.items.has(keyOf(approval))) return false;
    this.items.set(keyOf(approval), approval);
    return true;
  }

  async replaceToken(key: ApprovalKey, taskToken: string) {
    return this.change(key, { status: 'PENDING' }, (item) => ({ ...item, taskToken }));
  }

  async markNotified(key: ApprovalKey, at: string) {
    this.change(key, undefined, (item) => ({ ...item, notifiedAt: at }));
  }

  async decide(key: ApprovalKey, decision: DecisionRecord) {
    return this.change(key, { status: 'PENDING' }, (item) => ({ ...item, ...decision }));
  }

  async expire(key: ApprovalKey, at: string, expected: ExpectedState) {
    return this.change(key, expected, (item) => ({ ...undecided(item), status: 'EXPIRED', expiredAt: at }));
  }

  async markDelivered(key: ApprovalKey, at: string, expected: ExpectedState) {
    return this.change(key, expected, (item) => ({ ...item, deliveredAt: at }));
  }

  async reopen(key: ApprovalKey, expected: ExpectedState) {
    return this.change(key, expected, (item) => ({ ...undecided(item), status: 'PENDING' }));
  }

  async expirePending(taskId: string, at: string) {
    let expired = 0;
    for (const item of this.items.values()) {
      if (item.taskId === taskId && (await this.expire(item, at, { status: 'PENDING' }))) expired++;
    }
    return expired;
  }

  async list(orgId: string, status: ApprovalStatus, limit: number, cursor?: string): Promise<ApprovalPage> {
    const all = [...this.items.values()]
      .filter((item) => item.orgId === orgId && item.status === status)
      .sort((a, b) => b.requestedAt.localeCompare(a.requestedAt));
    const from = cursor ? Number(cursor) : 0;
    const items = all.slice(from, from + limit);
    return { items, ...(from + limit < all.length && { cursor: String(from + limit) }) };
  }

  async listForTask(
    taskId: string,
    limit: number,
    cursor?: string,
    status?: ApprovalStatus,
  ): Promise<ApprovalPage> {
    const all = [...this.items.values()]
      .filter((item) => item.taskId === taskId && (status === undefined || item.status === status))
      .sort((a, b) => a.stepId.localeCompare(b.stepId) || (a.mapIndex ?? -1) - (b.mapIndex ?? -1));
    const from = cursor ? Number(cursor) : 0;
    const items = all.slice(from, from + limit);
    return { items, ...(from + limit < all.length && { cursor: String(from + limit) }) };
  }

  private change(
    key: ApprovalKey,
    expected: ExpectedState | undefined,
    update: (item: StoredApproval) => StoredApproval,
  ): boolean {
    const item = this.items.get(keyOf(key));
    if (!item) return false;
    if (
      expected &&
      (item.status !== expected.status || (expected.decidedAt && item.decidedAt !== expected.decidedAt))
    ) {
      return false;
    }
    this.items.set(keyOf(key), update(item));
    return true;
  }
}

function undecided(item: StoredApproval): StoredApproval {
  const { decision: _d, decidedBy: _b, decidedAt: _a, comment: _c, ...rest } = item;
  return rest;
}
