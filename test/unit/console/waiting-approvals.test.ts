// The task page's waiting approvals: asked by status, following the cursor for a few pages at most.
import { describe, expect, it } from 'vitest';
import type { RequestOptions } from '../../../console/src/api/client-types';
import type { Approval } from '../../../console/src/api/types';
import {
  APPROVAL_PAGE_SIZE,
  APPROVAL_PAGES,
  fetchWaitingApprovals,
} from '../../../console/src/tasks/waiting-approvals';

/** An API holding `count` PENDING approvals of one map step, served a page at a time. */
function pagedApi(count: number) {
  const requests: { path: string; query?: RequestOptions['query'] }[] = [];
  const all = Array.from(
    { length: count },
    (_, mapIndex) =>
      ({ taskId: 't 1', stepId: 'review', mapIndex, status: 'PENDING' }) as unknown as Approval,
  );
  return {
    requests,
    async get<T>(path: string, options?: RequestOptions): Promise<T> {
      requests.push({ path, query: options?.query });
      const from = Number(options?.query?.cursor ?? 0);
      const limit = Number(options?.query?.limit);
      const next = from + limit;
      return { items: all.slice(from, next), ...(next < count && { cursor: String(next) }) } as T;
    },
  };
}

describe('waiting approvals of a task', () => {
  it('asks for the PENDING ones and follows the cursor past the first page', async () => {
    const api = pagedApi(APPROVAL_PAGE_SIZE + 5);
    const waiting = await fetchWaitingApprovals(api, 't 1');
    expect(waiting.items.map((approval) => approval.mapIndex)).toEqual(
      Array.from({ length: APPROVAL_PAGE_SIZE + 5 }, (_, index) => index),
    );
    expect(waiting.more).toBe(false);
    expect(api.requests).toEqual([
      { path: '/tasks/t%201/approvals', query: { status: 'PENDING', limit: APPROVAL_PAGE_SIZE } },
      {
        path: '/tasks/t%201/approvals',
        query: { status: 'PENDING', limit: APPROVAL_PAGE_SIZE, cursor: String(APPROVAL_PAGE_SIZE) },
      },
    ]);
  });

  it('stops after its pages and says more are waiting', async () => {
    const api = pagedApi(APPROVAL_PAGE_SIZE * APPROVAL_PAGES + 1);
    const waiting = await fetchWaitingApprovals(api, 't 1');
    expect(waiting.items).toHaveLength(APPROVAL_PAGE_SIZE * APPROVAL_PAGES);
    expect(waiting.more).toBe(true);
    expect(api.requests).toHaveLength(APPROVAL_PAGES);
  });

  it('reads one page when it holds them all', async () => {
    const api = pagedApi(2);
    expect(await fetchWaitingApprovals(api, 't 1')).toMatchObject({ more: false, items: [{}, {}] });
    expect(api.requests).toHaveLength(1);
  });
});
