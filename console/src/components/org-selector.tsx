// Operators read every organization on the admin routes, or the one `?org=` names: the pages keep that
// choice in their URL (so it survives a reload and a shared link) and show this selector to operators
// only. The organizations offered are those with metrics in the last week; any other id can be typed.
import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { useLocation, useSearch } from 'wouter';
import { useApi } from '../api/api-context';
import { useIdentity } from '../api/identity';

const WEEK_MS = 7 * 86_400_000;

/**
 * The `org` of the page's query string, for operators; anyone else reads their own org whatever the URL
 * says (the API would refuse another org's).
 */
export function useOrgParam(): [string | undefined, (org: string | undefined) => void] {
  const search = useSearch();
  const [location, navigate] = useLocation();
  const operator = useIsOperator();
  const org = (operator && new URLSearchParams(search).get('org')) || undefined;
  const setOrg = (next: string | undefined) => {
    const params = new URLSearchParams(search);
    if (next) params.set('org', next);
    else params.delete('org');
    const query = params.toString();
    navigate(query ? `${location}?${query}` : location, { replace: true });
  };
  return [org, setOrg];
}

/** Whether the signed-in identity is an operator (who picks an org, or sees them all). */
export function useIsOperator(): boolean {
  return useIdentity().data?.role === 'OPERATOR';
}

/** The `org` of a live subscription: an operator's chosen org or every org ('*'); nothing for an org user. */
export const liveOrg = (operator: boolean, org: string | undefined): string | undefined =>
  operator ? (org ?? '*') : undefined;

export function OrgSelector() {
  const api = useApi();
  const operator = useIsOperator();
  const [org, setOrg] = useOrgParam();
  const [text, setText] = useState(org ?? '');
  useEffect(() => setText(org ?? ''), [org]);
  const orgs = useQuery({
    queryKey: ['orgs'],
    enabled: operator,
    staleTime: 5 * 60_000,
    queryFn: ({ signal }) =>
      api.get<{ groups: { key: string }[] }>('/admin/metrics', {
        signal,
        query: { groupBy: 'org', from: new Date(Date.now() - WEEK_MS).toISOString() },
      }),
  });
  if (!operator) return null;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setOrg(text.trim() || undefined);
  };
  return (
    <form className="org-selector row" onSubmit={submit}>
      <div>
        <label htmlFor="org-selector">Organization</label>
        <input
          id="org-selector"
          list="org-selector-options"
          placeholder="All organizations"
          value={text}
          onChange={(event) => setText(event.target.value)}
          onBlur={() => (text.trim() || undefined) !== org && setOrg(text.trim() || undefined)}
        />
        <datalist id="org-selector-options">
          {(orgs.data?.groups ?? []).map((group) => (
            <option key={group.key} value={group.key} />
          ))}
        </datalist>
      </div>
      {org && (
        <button type="button" className="secondary" onClick={() => setOrg(undefined)}>
          All organizations
        </button>
      )}
    </form>
  );
}
