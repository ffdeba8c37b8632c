// The step DAG layout of the console's workflow page, on the example workflows and on edge cases: rows
// follow dependencies, nothing overlaps, every dependency is an edge going down, map steps hold their
// sub-steps.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  allNodes,
  type DagLayout,
  type DagNode,
  type DagStep,
  layoutDag,
  NODE_HEIGHT,
  NODE_WIDTH,
} from '../../../console/src/workflows/dag-layout';

const EXAMPLES = new URL('../../../examples/workflows/', import.meta.url);
const example = (name: string): DagStep[] =>
  JSON.parse(readFileSync(new URL(`${name}.json`, EXAMPLES), 'utf8')).steps;

const overlap = (a: DagNode, b: DagNode) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** Sibling nodes never overlap, and each lies inside its layout (recursively inside map boxes). */
function expectTidy(layout: DagLayout) {
  layout.nodes.forEach((node, i) => {
    expect(node.x, node.id).toBeGreaterThanOrEqual(0);
    expect(node.y, node.id).toBeGreaterThanOrEqual(0);
    expect(node.x + node.width, node.id).toBeLessThanOrEqual(layout.width + 1e-9);
    expect(node.y + node.height, node.id).toBeLessThanOrEqual(layout.height + 1e-9);
    for (const other of layout.nodes.slice(i + 1))
      expect(overlap(node, other), `${node.id}/${other.id}`).toBe(false);
    if (node.inner) {
      for (const child of node.inner.nodes) {
        expect(child.x).toBeGreaterThan(0);
        expect(child.x + child.width).toBeLessThan(node.width);
        expect(child.y).toBeGreaterThan(0);
        expect(child.y + child.height).toBeLessThan(node.height);
      }
      expectTidy({ ...node.inner, width: node.width, height: node.height });
    }
  });
}

const rowOf = (layout: DagLayout) => Object.fromEntries(allNodes(layout).map((node) => [node.id, node.row]));

describe('layoutDag', () => {
  it('puts parallel branches side by side in one row between their fork and join', () => {
    const layout = layoutDag(example('parallel_processing'));
    expect(rowOf(layout)).toEqual({ prepare: 0, branch_a: 1, branch_b: 1, branch_c: 1, merge: 2 });
    const [a, b, c] = ['branch_a', 'branch_b', 'branch_c'].map((id) => layout.nodes.find((n) => n.id === id));
    expect(a?.y).toBe(b?.y);
    expect(b?.y).toBe(c?.y);
    expect(layout.edges.map((edge) => `${edge.from}>${edge.to}`).sort()).toEqual([
      'branch_a>merge',
      'branch_b>merge',
      'branch_c>merge',
      'prepare>branch_a',
      'prepare>branch_b',
      'prepare>branch_c',
    ]);
    expect(layout.width).toBe(3 * NODE_WIDTH + 2 * 24);
    expectTidy(layout);
  });

  it('draws a map step as a box holding its sub-DAG, edges leaving its bottom', () => {
    const layout = layoutDag(example('agent_pipeline'));
    expect(rowOf(layout)).toMatchObject({
      build_list: 0,
      leads: 1,
      research_companies: 2,
      research_contacts: 3,
    });
    const map = layout.nodes.find((node) => node.id === 'research_companies');
    expect(map?.inner?.nodes.map((node) => node.id)).toEqual(['research_company']);
    expect(map?.height).toBeGreaterThan(NODE_HEIGHT);
    const out = layout.edges.find((edge) => edge.from === 'research_companies');
    expect(out?.y1).toBe((map?.y ?? 0) + (map?.height ?? 0));
    expectTidy(layout);
  });

  it('marks steps with a when condition', () => {
    const nodes = layoutDag(example('conditional_workflow')).nodes;
    expect(
      nodes
        .filter((node) => node.conditional)
        .map((node) => node.id)
        .sort(),
    ).toEqual(['fast', 'standard', 'thorough']);
  });

  it('lays out every example with one node per step, each edge going down a row or more', () => {
    for (const file of readdirSync(EXAMPLES).filter((name) => name.endsWith('.json'))) {
      const steps = example(file.replace(/\.json$/, ''));
      const layout = layoutDag(steps);
      const count = (list: readonly DagStep[]): number =>
        list.reduce((sum, step) => sum + 1 + count(step.steps ?? []), 0);
      expect(allNodes(layout), file).toHaveLength(count(steps));
      const deps = steps.reduce((sum, step) => sum + (step.dependsOn?.length ?? 0), 0);
      expect(layout.edges, file).toHaveLength(deps);
      for (const edge of layout.edges)
        expect(edge.y2, `${file} ${edge.from}>${edge.to}`).toBeGreaterThan(edge.y1);
      expectTidy(layout);
    }
  });

  it('orders a row by its dependencies to keep edges from crossing', () => {
    // b2 depends on a2 and b1 on a1, listed the other way round: the row is reordered under its parents.
    const layout = layoutDag([
      { id: 'a1', type: 'transform' },
      { id: 'a2', type: 'transform' },
      { id: 'b2', type: 'transform', dependsOn: ['a2'] },
      { id: 'b1', type: 'transform', dependsOn: ['a1'] },
    ]);
    const x = Object.fromEntries(layout.nodes.map((node) => [node.id, node.x]));
    expect(x.b1).toBe(x.a1);
    expect(x.b2).toBe(x.a2);
  });

  it('survives what a definition cannot hold: no steps, unknown dependencies, a cycle', () => {
    expect(layoutDag([])).toEqual({ nodes: [], edges: [], width: 0, height: 0 });
    const layout = layoutDag([
      { id: 'a', type: 'http', dependsOn: ['ghost'] },
      { id: 'b', type: 'http', dependsOn: ['c'] },
      { id: 'c', type: 'http', dependsOn: ['b'] },
    ]);
    expect(layout.nodes).toHaveLength(3);
    expect(layout.edges.map((edge) => `${edge.from}>${edge.to}`)).toEqual(['c>b', 'b>c']);
  });
});
