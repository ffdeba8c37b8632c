// Routes of the console (under the /console/ base). Each page is its own lazily loaded chunk, so the
// first load carries only the shell; signed-out visitors land on sign-in and come back where they were.
import { lazy, type ReactNode, Suspense } from 'react';
import { Redirect, Route, Switch, useLocation, useSearch } from 'wouter';
import { useCredential } from './auth/session';
import { Layout } from './components/layout';
import { SignInPage } from './pages/sign-in-page';

const OverviewPage = lazy(() => import('./pages/overview-page'));
const TasksPage = lazy(() => import('./pages/tasks-page'));
const TaskPage = lazy(() => import('./pages/task-page'));
const WorkflowsPage = lazy(() => import('./pages/workflows-page'));
const WorkflowPage = lazy(() => import('./pages/workflow-page'));
const WorkersPage = lazy(() => import('./pages/workers-page'));
const AlertsPage = lazy(() => import('./pages/alerts-page'));

function SignedIn({ children }: { children: ReactNode }) {
  const credential = useCredential();
  const [location] = useLocation();
  const search = useSearch();
  if (!credential) {
    const next = `${location}${search ? `?${search}` : ''}`;
    return <Redirect to={`/sign-in?next=${encodeURIComponent(next)}`} replace />;
  }
  return (
    <Layout>
      <Suspense fallback={<p className="muted">Loading…</p>}>{children}</Suspense>
    </Layout>
  );
}

export function App() {
  return (
    <Switch>
      <Route path="/sign-in" component={SignInPage} />
      <Route>
        <SignedIn>
          <Switch>
            <Route path="/" component={OverviewPage} />
            <Route path="/tasks" component={TasksPage} />
            <Route path="/tasks/:id">{(params) => <TaskPage id={params.id} />}</Route>
            <Route path="/workflows" component={WorkflowsPage} />
            <Route path="/workflows/:id">{(params) => <WorkflowPage id={params.id} />}</Route>
            <Route path="/workers" component={WorkersPage} />
            <Route path="/alerts">{() => <AlertsPage />}</Route>
            <Route path="/alerts/:id">{(params) => <AlertsPage id={params.id} />}</Route>
            <Route>
              <h1>Not found</h1>
              <p>There is no page here.</p>
            </Route>
          </Switch>
        </SignedIn>
      </Route>
    </Switch>
  );
}
