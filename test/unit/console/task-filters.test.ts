// The task list's filters: the page's query string, and the API request each role makes of them.
import { afterEach, describe, expect, it } from 'vitest';
import {
  eventMatchesFilters,
  filtersFromSearch,
  fromUtcInput,
  searchOf,
  taskListRequest,
  toUtcInput,
} from '../../../console/src/tasks/task-filters';

describe('task list filters', () => {
  it('round-trips through the query string, dropping empty and unknown parameters', () => {
    const filters = filtersFromSearch('status=RETRYING&workflowId=%20etl%20&agentId=&tag=env%3Aprod&x=1');
    expect(filters).toEqual({ status: 'RETRYING', workflowId: 'etl', tag: 'env:prod' });
    expect(filtersFromSearch(searchOf(filters))).toEqual(filters);
  });

  it('sends an OPERATOR to /admin/tasks with the org, and instants in UTC', () => {
    expect(
      taskListRequest(
        { org: 'acme', status: 'STUCK', from: '2026-03-02T10:00:00+02:00', to: '2026-03-02T09:00:00Z' },
        { role: 'OPERATOR' },
      ),
    ).toEqual({
      path: '/admin/tasks',
      query: {
        org: 'acme',
        status: 'STUCK',
        from: '2026-03-02T08:00:00.000Z',
        to: '2026-03-02T09:00:00.000Z',
      },
    });
  });

  it('never sends an org for a tenant: ADMIN lists its own org on /admin/tasks, MEMBER on /tasks', () => {
    const filters = { org: 'other', workflowId: 'etl', tag: 'k:v' };
    expect(taskListRequest(filters, { role: 'ADMIN' })).toEqual({
      path: '/admin/tasks',
      query: { workflowId: 'etl', tag: 'k:v' },
    });
    expect(taskListRequest(filters, { role: 'MEMBER' })).toEqual({
      path: '/tasks',
      query: { workflowId: 'etl', tag: 'k:v' },
    });
  });

  it('sends stuckAfterMinutes with status STUCK only, which the API refuses it without', () => {
    const filters = filtersFromSearch('status=STUCK&stuckAfterMinutes=10');
    expect(taskListRequest(filters, { role: 'ADMIN' }).query).toEqual({
      status: 'STUCK',
      stuckAfterMinutes: '10',
    });
    expect(taskListRequest({ ...filters, status: 'RUNNING' }, { role: 'ADMIN' }).query).toEqual({
      status: 'RUNNING',
    });
  });

  it('passes a value it cannot read as typed, so the API names the field', () => {
    expect(taskListRequest({ from: 'yesterday' }, { role: 'OWNER' }).query).toEqual({ from: 'yesterday' });
  });

  it('tells from a live event whether a new task belongs in the list, or that only the server can', () => {
    const task = { org: 'acme', workflowId: 'etl', agentId: 'a1', status: 'PENDING' };
    expect(eventMatchesFilters(task, {})).toBe(true);
    expect(eventMatchesFilters(task, { workflowId: 'etl', status: 'PENDING' })).toBe(true);
    expect(eventMatchesFilters(task, { workflowId: 'other' })).toBe(false);
    expect(eventMatchesFilters(task, { org: 'beta' })).toBe(false);
    expect(eventMatchesFilters(task, { status: 'FAILED' })).toBe(false);
    expect(eventMatchesFilters(task, { tag: 'k:v' })).toBeUndefined();
    expect(eventMatchesFilters(task, { status: 'STUCK' })).toBeUndefined();
  });

  describe('From and To inputs', () => {
    const zone = process.env.TZ;
    afterEach(() => {
      process.env.TZ = zone;
    });

    it('read and show UTC, as the list does, whatever the browser zone', () => {
      process.env.TZ = 'America/New_York';
      expect(new Date('2026-03-02T09:00:00Z').getTimezoneOffset()).toBe(300);
      expect(fromUtcInput('2026-03-02T09:00')).toBe('2026-03-02T09:00:00.000Z');
      expect(toUtcInput('2026-03-02T09:00:42.123Z')).toBe('2026-03-02T09:00');
      expect(toUtcInput(fromUtcInput('2026-12-31T23:59'))).toBe('2026-12-31T23:59');
      expect(fromUtcInput('')).toBe('');
      expect(toUtcInput('not a date')).toBe('');
    });
  });
});
