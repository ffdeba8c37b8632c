// The console's one chart: time series drawn by uPlot (about 20 KB gzipped; canvas, fast with many
// points). Pages pass x as epoch milliseconds and one array per series; gaps are null. It is imported
// only by the lazily loaded pages that draw charts, so uPlot stays out of the initial bundle.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { isolatedIndices } from '../metrics/metrics-series';

export interface ChartSeries {
  readonly label: string;
  readonly values: readonly (number | null)[];
  /** CSS colour. @default one of a fixed palette, by position */
  readonly color?: string;
  /** How a value reads in the legend, e.g. `(v) => formatDuration(v)`. */
  readonly format?: (value: number) => string;
}

export interface TimeChartProps {
  /** Epoch milliseconds, ascending, one per point. */
  readonly x: readonly number[];
  readonly series: readonly ChartSeries[];
  /** Accessible name of the chart (its figure's label). */
  readonly title: string;
  /** @default 220 */
  readonly height?: number;
  /** Axis label of the y scale, e.g. `ms` or `%`. */
  readonly yLabel?: string;
  /** How the y axis' ticks read, e.g. `(v) => formatUsd(v)`. @default uPlot's numbers */
  readonly yFormat?: (value: number) => string;
  /** Test id of the figure (B2's metrics charts use `metrics-chart`). */
  readonly testId?: string;
}

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2'];

export function TimeChart(props: TimeChartProps) {
  const container = useRef<HTMLDivElement>(null);
  const { x, series, height = 220, yLabel, yFormat } = props;

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const data: uPlot.AlignedData = [
      x.map((ms) => ms / 1000),
      ...series.map((one) => one.values.map((value) => value ?? null)),
    ];
    const chart = new uPlot(
      {
        width: Math.max(element.clientWidth, 200),
        height,
        series: [
          {},
          ...series.map((one, index) => ({
            label: one.label,
            stroke: one.color ?? PALETTE[index % PALETTE.length],
            width: 2,
            spanGaps: false,
            // A value between gaps draws no line: it gets a dot.
            points: { show: true, size: 6, filter: isolatedIndices(one.values) },
            value: (_u: uPlot, value: number | null) =>
              value === null ? '—' : one.format ? one.format(value) : String(value),
          })),
        ],
        axes: [
          {},
          {
            label: yLabel,
            size: 60,
            ...(yFormat && { values: (_u: uPlot, ticks: number[]) => ticks.map((tick) => yFormat(tick)) }),
          },
        ],
      },
      data,
      element,
    );
    const resize = new ResizeObserver(() =>
      chart.setSize({ width: Math.max(element.clientWidth, 200), height }),
    );
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [x, series, height, yLabel, yFormat]);

  return (
    <figure className="chart" aria-label={props.title} data-testid={props.testId}>
      <figcaption>{props.title}</figcaption>
      <div ref={container} />
    </figure>
  );
}
