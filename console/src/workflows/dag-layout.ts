// A small layered layout of a workflow's step DAG, drawn top to bottom: a step's row is the longest
// chain of dependencies above it, rows are ordered to keep edges short (a barycenter sweep), and a map
// step is a box holding the layout of its own sub-steps. Pure (no DOM): the SVG component draws what it
// returns. Workflow DAGs are small (tens of steps), so simple beats a graph library here.

/** A step as the definition gives it (functions/shared/workflows/definition.ts), as far as drawing goes. */
export interface DagStep {
  readonly id: string;
  readonly type: string;
  readonly name?: string;
  readonly dependsOn?: readonly string[];
  /** A `when` condition: the step may be SKIPPED. */
  readonly when?: unknown;
  /** A map step's sub-steps. */
  readonly steps?: readonly DagStep[];
}

export interface DagNode {
  readonly id: string;
  readonly type: string;
  readonly label: string;
  /** Whether the step runs only when its `when` condition holds. */
  readonly conditional: boolean;
  readonly row: number;
  /** Top-left corner, relative to the layout the node belongs to. */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** A map step's sub-DAG, positioned relative to this node's corner. */
  readonly inner?: DagLayout;
}

export interface DagEdge {
  readonly from: string;
  readonly to: string;
  /** Bottom centre of `from`, top centre of `to`. */
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
}

export interface DagLayout {
  readonly nodes: readonly DagNode[];
  readonly edges: readonly DagEdge[];
  readonly width: number;
  readonly height: number;
}

export const NODE_WIDTH = 196;
export const NODE_HEIGHT = 46;
export const COLUMN_GAP = 24;
export const ROW_GAP = 40;
/** Room inside a map box: its title above the sub-DAG, a margin around it. */
export const MAP_HEADER = 30;
export const MAP_PADDING = 12;

interface Sized {
  readonly step: DagStep;
  readonly row: number;
  readonly width: number;
  readonly height: number;
  readonly inner?: DagLayout;
}

/** Each step's row: 0 without dependencies, else one below its deepest dependency (ids outside ignored). */
function rowsOf(steps: readonly DagStep[]): Map<string, number> {
  const byId = new Map(steps.map((step) => [step.id, step]));
  const rows = new Map<string, number>();
  const visiting = new Set<string>();
  const rowOf = (id: string): number => {
    const known = rows.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0; // a cycle cannot be registered; draw rather than recurse forever
    visiting.add(id);
    const deps = (byId.get(id)?.dependsOn ?? []).filter((dep) => byId.has(dep) && dep !== id);
    const row = deps.length === 0 ? 0 : Math.max(...deps.map(rowOf)) + 1;
    visiting.delete(id);
    rows.set(id, row);
    return row;
  };
  for (const step of steps) rowOf(step.id);
  return rows;
}

/** Rows of steps, each ordered by the mean position of its dependencies in the rows above. */
function orderedRows(steps: readonly DagStep[], rows: Map<string, number>): DagStep[][] {
  const grid: DagStep[][] = [];
  for (const step of steps) {
    const row = rows.get(step.id) ?? 0;
    grid[row] = [...(grid[row] ?? []), step];
  }
  const position = new Map<string, number>();
  grid.forEach((row, r) => {
    if (r > 0) {
      const centre = (step: DagStep, fallback: number) => {
        const deps = (step.dependsOn ?? []).map((dep) => position.get(dep)).filter((p) => p !== undefined);
        return deps.length === 0 ? fallback : deps.reduce((sum, p) => sum + p, 0) / deps.length;
      };
      const keyed = row.map((step, index) => ({ step, key: centre(step, index), index }));
      keyed.sort((a, b) => a.key - b.key || a.index - b.index);
      row.splice(0, row.length, ...keyed.map((entry) => entry.step));
    }
    // Positions as fractions of the row, so rows of different lengths compare.
    row.forEach((step, index) => {
      position.set(step.id, (index + 0.5) / row.length);
    });
  });
  return grid.filter((row) => row !== undefined);
}

const labelOf = (step: DagStep) => step.name ?? step.id;

/** Lays out `steps` (one level: a map step's sub-steps get a layout of their own inside its box). */
export function layoutDag(steps: readonly DagStep[]): DagLayout {
  if (steps.length === 0) return { nodes: [], edges: [], width: 0, height: 0 };
  const rows = orderedRows(steps, rowsOf(steps));
  const sized: Sized[][] = rows.map((row, r) =>
    row.map((step) => {
      if (step.type === 'map' && step.steps && step.steps.length > 0) {
        const inner = layoutDag(step.steps);
        return {
          step,
          row: r,
          inner,
          width: Math.max(NODE_WIDTH, inner.width + 2 * MAP_PADDING),
          height: inner.height + MAP_HEADER + MAP_PADDING,
        };
      }
      return { step, row: r, width: NODE_WIDTH, height: NODE_HEIGHT };
    }),
  );
  const rowWidth = (row: Sized[]) =>
    row.reduce((sum, node) => sum + node.width, 0) + COLUMN_GAP * Math.max(0, row.length - 1);
  const width = Math.max(...sized.map(rowWidth));
  const nodes: DagNode[] = [];
  let y = 0;
  for (const row of sized) {
    const rowHeight = Math.max(...row.map((node) => node.height));
    let x = (width - rowWidth(row)) / 2;
    for (const node of row) {
      nodes.push({
        id: node.step.id,
        type: node.step.type,
        label: labelOf(node.step),
        conditional: node.step.when !== undefined,
        row: node.row,
        x,
        // Shorter nodes sit in the middle of their row.
        y: y + (rowHeight - node.height) / 2,
        width: node.width,
        height: node.height,
        ...(node.inner && {
          inner: offset(node.inner, (node.width - node.inner.width) / 2, MAP_HEADER),
        }),
      });
      x += node.width + COLUMN_GAP;
    }
    y += rowHeight + ROW_GAP;
  }
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const edges: DagEdge[] = [];
  for (const step of steps) {
    const to = byId.get(step.id);
    for (const dep of new Set(step.dependsOn ?? [])) {
      const from = byId.get(dep);
      if (!from || !to || from === to) continue;
      edges.push({
        from: from.id,
        to: to.id,
        x1: from.x + from.width / 2,
        y1: from.y + from.height,
        x2: to.x + to.width / 2,
        y2: to.y,
      });
    }
  }
  return { nodes, edges, width, height: y - ROW_GAP };
}

/** A layout moved by (dx, dy): what a map box does to its sub-DAG. */
function offset(layout: DagLayout, dx: number, dy: number): DagLayout {
  return {
    ...layout,
    nodes: layout.nodes.map((node) => ({ ...node, x: node.x + dx, y: node.y + dy })),
    edges: layout.edges.map((edge) => ({
      ...edge,
      x1: edge.x1 + dx,
      y1: edge.y1 + dy,
      x2: edge.x2 + dx,
      y2: edge.y2 + dy,
    })),
  };
}

/** Every node of a layout, map sub-steps included (with their absolute position). */
export function allNodes(layout: DagLayout, dx = 0, dy = 0): DagNode[] {
  return layout.nodes.flatMap((node) => {
    const placed = { ...node, x: node.x + dx, y: node.y + dy };
    return node.inner ? [placed, ...allNodes(node.inner, placed.x, placed.y)] : [placed];
  });
}
