// The frame of every signed-in page: navigation, who is signed in, the live indicator, sign out.
import type { ReactNode } from 'react';
import { Link, useRoute } from 'wouter';
import { useConfig } from '../api/api-context';
import { useIdentity } from '../api/identity';
import { oidcLogoutUrl } from '../auth/oidc';
import { isJwt } from '../auth/pkce';
import { getCredential, signOut } from '../auth/session';
import { LiveIndicator } from '../live/live-indicator';
import { useOrgParam } from './org-selector';

const NAV: readonly { readonly to: string; readonly label: string; readonly match: string }[] = [
  { to: '/', label: 'Overview', match: '/' },
  { to: '/tasks', label: 'Tasks', match: '/tasks/*?' },
  { to: '/workflows', label: 'Workflows', match: '/workflows/*?' },
  { to: '/workers', label: 'Workers', match: '/workers' },
  { to: '/alerts', label: 'Alerts', match: '/alerts' },
];

/** A page of the nav; an operator's chosen org (`?org=`) goes along, so the choice holds across pages. */
function NavLink(props: { to: string; label: string; match: string; org: string | undefined }) {
  const [active] = useRoute(props.match);
  return (
    <Link
      href={props.org ? `${props.to}?${new URLSearchParams({ org: props.org })}` : props.to}
      className={active ? 'active' : undefined}
      aria-current={active ? 'page' : undefined}
    >
      {props.label}
    </Link>
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const config = useConfig();
  const identity = useIdentity();
  function leave() {
    const credential = getCredential();
    signOut();
    // An OIDC session also ends at the provider, or its hosted UI would sign the user straight back in.
    if (config.oidc && credential && isJwt(credential)) {
      window.location.assign(
        oidcLogoutUrl(config.oidc, `${window.location.origin}${import.meta.env.BASE_URL}sign-in`),
      );
    }
  }
  const who = identity.data;
  const [org] = useOrgParam();
  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">stepwise</span>
        <nav aria-label="Main">
          {NAV.map((item) => (
            <NavLink key={item.to} {...item} org={org} />
          ))}
        </nav>
        <div className="session">
          <LiveIndicator />
          {who && (
            <span className="identity" data-testid="identity" title={`${who.method} ${who.principal}`}>
              {who.role === 'OPERATOR' ? 'Operator' : `${who.orgId} · ${who.role}`} ({who.principal})
            </span>
          )}
          <button type="button" className="link" onClick={leave}>
            Sign out
          </button>
        </div>
      </header>
      <main className="content">{children}</main>
    </div>
  );
}
