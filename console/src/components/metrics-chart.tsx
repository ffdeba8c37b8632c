// A metrics chart with its numbers: the figures that matter as text above the plot (what a reader, a
// screen reader and a browser test read), the series drawn by the shared TimeChart below.
import { type ReactNode, useMemo } from 'react';
import { formatDuration, formatNumber } from '../format/format';
import { type Chart, formatUsd, type Unit } from '../metrics/metrics-series';
import { TimeChart } from './time-chart';

export const formatUnit: Record<Unit, (value: number) => string> = {
  ms: (value) => formatDuration(value),
  percent: (value) => `${formatNumber(value, 1)}%`,
  count: (value) => formatNumber(value, 2),
  usd: (value) => formatUsd(value),
};

const Y_LABEL: Record<Unit, string> = { ms: '', percent: '%', count: '', usd: '' };
/** Axis ticks: durations and costs read as such (`1.2 s`, `$0.0004`); counts and percentages as numbers. */
const Y_FORMAT: Partial<Record<Unit, (value: number) => string>> = {
  ms: (value) => formatDuration(value),
  usd: (value) => formatUsd(value),
};

export function MetricsChart(props: {
  readonly title: string;
  readonly chart: Chart;
  /** The figures shown as text, e.g. `Success rate 80%`, `p95 412 ms`. */
  readonly summary: ReactNode;
  readonly height?: number;
}) {
  const { chart } = props;
  const format = formatUnit[chart.unit];
  // TimeChart redraws when its series change identity: only when the data does.
  const series = useMemo(
    () => chart.lines.map((line) => ({ label: line.label, values: line.values, format })),
    [chart, format],
  );
  return (
    <section className="metrics-chart" data-testid="metrics-chart" aria-label={props.title}>
      <div className="metrics-summary">{props.summary}</div>
      <TimeChart
        x={chart.x}
        series={series}
        title={props.title}
        height={props.height ?? 180}
        yLabel={Y_LABEL[chart.unit]}
        yFormat={Y_FORMAT[chart.unit]}
      />
    </section>
  );
}

/** One figure of a summary: a label and its value, e.g. `p95` `412 ms`. */
export function Figure(props: { readonly label: string; readonly value: string; readonly testId?: string }) {
  return (
    <span className="figure" data-testid={props.testId}>
      <span className="figure-label">{props.label}</span> <strong>{props.value}</strong>
    </span>
  );
}
