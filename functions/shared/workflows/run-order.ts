// How the compiler arranges a DAG of steps in time, shared with what reads it back: independent groups
// run side by side (a Parallel); a connected group runs its entry steps (those depending on no step of the
// group), then the rest once all of them have ended. So a step starts when every step of the entry set
// before it has ended, which may be more than its own dependsOn.
import type { Step } from './definition';

/** Splits steps into groups with no dependency edge between groups, in definition order. */
export function connectedGroups(steps: readonly Step[]): Step[][] {
  const ids = new Set(steps.map((s) => s.id));
  const parent = new Map(steps.map((s) => [s.id, s.id]));
  const find = (id: string): string => {
    const p = parent.get(id) ?? id;
    if (p === id) return id;
    const root = find(p);
    parent.set(id, root);
    return root;
  };
  for (const step of steps) {
    for (const dep of step.dependsOn ?? []) if (ids.has(dep)) parent.set(find(step.id), find(dep));
  }
  const groups = new Map<string, Step[]>();
  for (const step of steps) {
    const root = find(step.id);
    const group = groups.get(root) ?? [];
    group.push(step);
    groups.set(root, group);
  }
  return [...groups.values()];
}

/** A connected group's entry steps (no dependency inside the group) and the steps run after them. */
export function entryAndRest(steps: readonly Step[]): { entry: Step[]; rest: Step[] } {
  const ids = new Set(steps.map((s) => s.id));
  const entry = steps.filter((s) => !(s.dependsOn ?? []).some((d) => ids.has(d)));
  return { entry, rest: steps.filter((s) => !entry.includes(s)) };
}

/**
 * For each step, the steps whose end it waits for as compiled (none: it starts with the task). A step
 * starts when the last of them has ended; the steps that list one start after it ended.
 */
export function startsAfter(steps: readonly Step[]): Map<string, readonly string[]> {
  const after = new Map<string, readonly string[]>();
  const walk = (group: readonly Step[], before: readonly string[]) => {
    const [only] = group;
    if (only && group.length === 1) {
      after.set(only.id, before);
      return;
    }
    const groups = connectedGroups(group);
    if (groups.length > 1) {
      for (const branch of groups) walk(branch, before);
      return;
    }
    const { entry, rest } = entryAndRest(group);
    // A cycle (refused at registration) leaves its steps out.
    if (entry.length === 0 || rest.length === 0) return;
    walk(entry, before);
    walk(
      rest,
      entry.map((step) => step.id),
    );
  };
  walk(steps, []);
  return after;
}
