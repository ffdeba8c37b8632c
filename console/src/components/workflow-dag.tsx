// A workflow's step DAG as SVG, from the layered layout of dag-layout.ts: a box per step (dashed when a
// `when` condition may skip it; a map step's box holds its sub-steps), an arrow per dependency, and
// under each step's name the figures the page passes (e.g. its p95 and success rate).

import { useMemo } from 'react';
import { type DagLayout, type DagNode, type DagStep, layoutDag } from '../workflows/dag-layout';

const MARGIN = 8;

function Edges({ layout }: { readonly layout: DagLayout }) {
  return (
    <>
      {layout.edges.map((edge) => {
        const bend = Math.max(12, (edge.y2 - edge.y1) / 2);
        return (
          <path
            key={`${edge.from}>${edge.to}`}
            className="dag-edge"
            d={`M ${edge.x1} ${edge.y1} C ${edge.x1} ${edge.y1 + bend}, ${edge.x2} ${edge.y2 - bend}, ${edge.x2} ${edge.y2 - 2}`}
            markerEnd="url(#dag-arrow)"
          />
        );
      })}
    </>
  );
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

function Node(props: { readonly node: DagNode; readonly figures?: Readonly<Record<string, string>> }) {
  const { node, figures } = props;
  const figure = figures?.[node.id];
  const classes = ['dag-node', `dag-${node.type}`, node.conditional ? 'dag-conditional' : ''].join(' ');
  return (
    <g
      transform={`translate(${node.x} ${node.y})`}
      className={classes}
      data-testid="dag-node"
      data-step={node.id}
      data-type={node.type}
    >
      <title>{`${node.label} (${node.id}: ${node.type}${node.conditional ? ', conditional' : ''})`}</title>
      <rect width={node.width} height={node.height} rx={6} />
      {node.inner ? (
        <>
          <text x={10} y={19} className="dag-label">
            {clip(node.label, 22)} <tspan className="dag-type">map{figure ? ` · ${figure}` : ''}</tspan>
          </text>
          <Edges layout={node.inner} />
          {node.inner.nodes.map((child) => (
            <Node key={child.id} node={child} figures={figures} />
          ))}
        </>
      ) : (
        <>
          <text x={10} y={19} className="dag-label">
            {clip(node.label, 26)}
            {node.label !== node.id && node.label.length + node.id.length <= 27 && (
              <tspan className="dag-type"> {node.id}</tspan>
            )}
          </text>
          <text x={10} y={36} className="dag-type">
            {figure ? `${node.type} · ${figure}` : node.type}
          </text>
        </>
      )}
    </g>
  );
}

export function WorkflowDag(props: {
  readonly steps: readonly DagStep[];
  /** A short text per step id shown in its box. */
  readonly figures?: Readonly<Record<string, string>>;
}) {
  const layout = useMemo(() => layoutDag(props.steps), [props.steps]);
  const width = layout.width + 2 * MARGIN;
  const height = layout.height + 2 * MARGIN;
  return (
    <div className="dag-scroll">
      <svg
        data-testid="workflow-dag"
        role="img"
        aria-label={`Step graph: ${props.steps.length} steps`}
        viewBox={`${-MARGIN} ${-MARGIN} ${width} ${height}`}
        width={width}
        height={height}
        className="dag"
      >
        <defs>
          <marker
            id="dag-arrow"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto"
          >
            <path d="M 0 0 L 10 5 L 0 10 z" />
          </marker>
        </defs>
        <Edges layout={layout} />
        {layout.nodes.map((node) => (
          <Node key={node.id} node={node} figures={props.figures} />
        ))}
      </svg>
    </div>
  );
}
