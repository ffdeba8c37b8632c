// Tasks: the filtered list (org for operators, agent, workflow, status incl. RETRYING/STUCK, time range,
// tag), newest first, paged by cursor, with statuses kept live.
import { type FormEvent, useEffect, useState } from 'react';
import { useLocation, useSearch } from 'wouter';
import { ApiError } from '../api/client';
import { useIdentity } from '../api/identity';
import { statusLabel } from '../format/format';
import {
  filtersFromSearch,
  fromUtcInput,
  searchOf,
  TASK_LIST_STATUSES,
  type TaskFilters,
  toUtcInput,
} from '../tasks/task-filters';
import { TaskTable } from '../tasks/task-table';
import { useTaskList } from '../tasks/use-task-list';

const DEFAULT_PAGE_SIZE = 100;

function pageSizeOf(search: string): number {
  const value = Number(new URLSearchParams(search).get('limit'));
  return Number.isInteger(value) && value >= 1 && value <= 100 ? value : DEFAULT_PAGE_SIZE;
}

const PRESETS: readonly { readonly label: string; readonly ms: number }[] = [
  { label: 'Last hour', ms: 3600_000 },
  { label: 'Last 24 hours', ms: 86_400_000 },
  { label: 'Last 7 days', ms: 7 * 86_400_000 },
];

export default function TasksPage() {
  const search = useSearch();
  const [, navigate] = useLocation();
  const identity = useIdentity();
  const filters = filtersFromSearch(search);
  const pageSize = pageSizeOf(search);
  const operator = identity.data?.role === 'OPERATOR';
  const { list, rows, unseen, refresh, request, refreshError } = useTaskList(
    filters,
    identity.data,
    pageSize,
  );

  function apply(next: TaskFilters) {
    const params = new URLSearchParams(searchOf(next));
    if (pageSize !== DEFAULT_PAGE_SIZE) params.set('limit', String(pageSize));
    const query = params.toString();
    navigate(`/tasks${query ? `?${query}` : ''}`);
  }

  return (
    <>
      <h1>Tasks</h1>
      <FilterForm filters={filters} operator={operator} onApply={apply} />
      {request?.path === '/tasks' && (
        <p className="muted">Your role lists your organization's tasks (GET /tasks).</p>
      )}
      {list.error && (
        <p role="alert" className="error">
          {list.error instanceof ApiError ? list.error.message : String(list.error)}
        </p>
      )}
      {refreshError && (
        <p role="alert" className="error" data-testid="refresh-error">
          Could not refresh the list ({refreshError.message}): the tasks below may be out of date; retrying.
        </p>
      )}
      {unseen > 0 && (
        <p className="notice">
          New tasks may match these filters.{' '}
          <button type="button" className="link" onClick={refresh}>
            Refresh
          </button>
        </p>
      )}
      {list.isPending && identity.data ? (
        <p className="muted">Loading tasks…</p>
      ) : (
        <TaskTable
          rows={rows}
          showOrg={operator}
          hasMore={list.hasNextPage}
          loadingMore={list.isFetchingNextPage}
          onLoadMore={() => void list.fetchNextPage()}
        />
      )}
      {list.isSuccess && rows.length === 0 && <p className="muted">No tasks match these filters.</p>}
    </>
  );
}

function FilterForm(props: {
  filters: TaskFilters;
  operator: boolean;
  onApply: (filters: TaskFilters) => void;
}) {
  const [draft, setDraft] = useState<TaskFilters>(props.filters);
  const current = searchOf(props.filters);
  // biome-ignore lint/correctness/useExhaustiveDependencies: follow the URL (back/forward, links)
  useEffect(() => setDraft(props.filters), [current]);
  const set = (key: keyof TaskFilters) => (value: string) =>
    setDraft((previous) => ({ ...previous, [key]: value }));

  function submit(event: FormEvent) {
    event.preventDefault();
    props.onApply(draft);
  }

  return (
    <form className="filters card" onSubmit={submit} aria-label="Filters">
      {props.operator && (
        <Field
          id="f-org"
          label="Organization"
          value={draft.org}
          onChange={set('org')}
          placeholder="every org"
        />
      )}
      <Field id="f-workflow" label="Workflow" value={draft.workflowId} onChange={set('workflowId')} />
      <Field id="f-agent" label="Agent" value={draft.agentId} onChange={set('agentId')} />
      <div>
        <label htmlFor="f-status">Status</label>
        <select
          id="f-status"
          value={draft.status ?? ''}
          onChange={(event) => props.onApply({ ...draft, status: event.target.value })}
        >
          <option value="">Any</option>
          {TASK_LIST_STATUSES.map((status) => (
            <option key={status} value={status}>
              {statusLabel(status)}
            </option>
          ))}
        </select>
      </div>
      {draft.status === 'STUCK' && (
        <Field
          id="f-stuck-after"
          label="Stuck after (minutes)"
          value={draft.stuckAfterMinutes}
          onChange={set('stuckAfterMinutes')}
          placeholder="15"
        />
      )}
      <Field id="f-tag" label="Tag" value={draft.tag} onChange={set('tag')} placeholder="key:value" />
      <div>
        <label htmlFor="f-from">From (UTC)</label>
        <input
          id="f-from"
          type="datetime-local"
          value={toUtcInput(draft.from)}
          onChange={(event) => set('from')(fromUtcInput(event.target.value))}
        />
      </div>
      <div>
        <label htmlFor="f-to">To (UTC)</label>
        <input
          id="f-to"
          type="datetime-local"
          value={toUtcInput(draft.to)}
          onChange={(event) => set('to')(fromUtcInput(event.target.value))}
        />
      </div>
      <div className="filter-actions">
        <button type="submit">Apply filters</button>
        <button type="button" className="secondary" onClick={() => props.onApply({})}>
          Clear
        </button>
      </div>
      <div className="row presets">
        {PRESETS.map((preset) => (
          <button
            key={preset.label}
            type="button"
            className="link"
            onClick={() =>
              props.onApply({ ...draft, from: new Date(Date.now() - preset.ms).toISOString(), to: '' })
            }
          >
            {preset.label}
          </button>
        ))}
      </div>
    </form>
  );
}

function Field(props: {
  id: string;
  label: string;
  value: string | undefined;
  onChange: (value: string) => void;
  placeholder?: string;
}) {
  return (
    <div>
      <label htmlFor={props.id}>{props.label}</label>
      <input
        id={props.id}
        value={props.value ?? ''}
        placeholder={props.placeholder}
        spellCheck={false}
        onChange={(event) => props.onChange(event.target.value)}
      />
    </div>
  );
}
