// The approvals of a task still waiting for a decision, each map iteration's apart (an approval inside a
// map is decided by its mapIndex, which the timeline's rolled-up map step does not carry). Asked of the
// API by status, so a map of hundreds of iterations whose first ones were decided still shows its waiting
// ones; bounded to a few pages, past which the page says more are waiting.
import type { ApiClient } from '../api/client-types';
import type { Approval } from '../api/types';

export const APPROVAL_PAGE_SIZE = 100;
export const APPROVAL_PAGES = 2;

export interface WaitingApprovals {
  readonly items: Approval[];
  /** More approvals wait than the pages read hold. */
  readonly more: boolean;
}

export async function fetchWaitingApprovals(
  api: Pick<ApiClient, 'get'>,
  taskId: string,
  signal?: AbortSignal,
): Promise<WaitingApprovals> {
  const items: Approval[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < APPROVAL_PAGES; page++) {
    const body = await api.get<{ items: Approval[]; cursor?: string }>(
      `/tasks/${encodeURIComponent(taskId)}/approvals`,
      { query: { status: 'PENDING', limit: APPROVAL_PAGE_SIZE, cursor }, signal },
    );
    items.push(...body.items);
    cursor = body.cursor;
    if (cursor === undefined) break;
  }
  return { items, more: cursor !== undefined };
}
