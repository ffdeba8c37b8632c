// Which active tasks a reconciler run (one a minute) checks against Step Functions. Each check is a
// DescribeExecution, whose quota is a bucket of 250 refilled at 15 a second per account and region: a
// deployment with thousands of long tasks (approvals, agent work) would have every run throttled and
// falling behind. So a task is checked every run for its first 10 minutes, when a lost status event is
// most likely to matter to someone waiting, then every 5th run until it is an hour old, then every 15th:
// a spread by task id, so each run takes its share. No state: the run's minute and the id decide.

/** Runs between two checks of a task this old. */
export function checkEveryRuns(ageMs: number): number {
  if (ageMs < 10 * 60_000) return 1;
  if (ageMs < 60 * 60_000) return 5;
  return 15;
}

/** Whether the run at `now` checks this task (created at `createdAt`, an ISO time). */
export function dueForCheck(
  task: { readonly taskId: string; readonly createdAt: string },
  now: Date,
): boolean {
  const every = checkEveryRuns(now.getTime() - Date.parse(task.createdAt));
  if (every === 1) return true;
  const minute = Math.floor(now.getTime() / 60_000);
  return (minute + spreadOf(task.taskId)) % every === 0;
}

/** A stable number from the task id (FNV-1a), spreading tasks over the runs. */
function spreadOf(taskId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < taskId.length; i++) {
    hash ^= taskId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
