// One workflow: its versions, the step DAG of the chosen version (each step with its p95 and success
// rate over the range), and its metrics over a chosen range: success rate, task duration p50/p95/p99,
// each step's duration over time, LLM tokens and cost, and a table of the steps.
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link } from 'wouter';
import type { WorkflowDetail, WorkflowMetrics } from '../api/admin-types';
import { useApi } from '../api/api-context';
import { LoadError } from '../components/load-state';
import { Figure, MetricsChart } from '../components/metrics-chart';
import { WorkflowDag } from '../components/workflow-dag';
import { formatDuration, formatNumber, formatTime, formatUtc } from '../format/format';
import {
  costChart,
  durationChart,
  formatRatio,
  formatUsd,
  type Percentile,
  rangeQuery,
  stepDurationChart,
  successRateChart,
  TIME_RANGES,
  tokenChart,
} from '../metrics/metrics-series';
import type { DagStep } from '../workflows/dag-layout';
import { WORKFLOWS_FORBIDDEN } from './workflows-page';
import './pages.css';

const PERCENTILES: readonly { key: Percentile; label: string }[] = [
  { key: 'p50Ms', label: 'p50' },
  { key: 'p95Ms', label: 'p95' },
  { key: 'p99Ms', label: 'p99' },
];

const ms = (value: number | null | undefined) =>
  value === null || value === undefined ? '—' : formatDuration(value);

/** Step ids of a definition in order, map sub-steps after their map. */
const stepIds = (steps: readonly DagStep[]): string[] =>
  steps.flatMap((step) => [step.id, ...stepIds(step.steps ?? [])]);

export default function WorkflowPage({ id }: { id: string }) {
  const api = useApi();
  const [rangeKey, setRangeKey] = useState('24h');
  const [chosenVersion, setChosenVersion] = useState<number>();
  const [percentile, setPercentile] = useState<Percentile>('p95Ms');
  const range =
    TIME_RANGES.find((candidate) => candidate.key === rangeKey) ??
    (TIME_RANGES[0] as (typeof TIME_RANGES)[0]);

  const workflow = useQuery({
    queryKey: ['workflow', id],
    queryFn: ({ signal }) => api.get<WorkflowDetail>(`/workflows/${encodeURIComponent(id)}`, { signal }),
  });
  const metrics = useQuery({
    queryKey: ['workflow-metrics', id, range.key],
    refetchInterval: 60_000,
    placeholderData: keepPreviousData,
    queryFn: ({ signal }) =>
      api.get<WorkflowMetrics>(`/workflows/${encodeURIComponent(id)}/metrics`, {
        signal,
        query: rangeQuery(range, Date.now()),
      }),
  });

  const versions = workflow.data?.versions ?? [];
  const shown =
    versions.find((version) => version.version === chosenVersion) ??
    versions.find((version) => version.version === workflow.data?.latestVersion) ??
    versions.at(-1);
  const steps = useMemo(() => (shown?.definition.steps ?? []) as readonly DagStep[], [shown]);
  const order = useMemo(() => stepIds(steps), [steps]);
  const data = metrics.data;
  const charts = useMemo(
    () =>
      data && {
        success: successRateChart(data),
        duration: durationChart(data),
        steps: stepDurationChart(data, percentile, order),
        tokens: tokenChart(data),
        cost: costChart(data),
      },
    [data, percentile, order],
  );
  const figures = useMemo(
    () =>
      Object.fromEntries(
        Object.entries(data?.steps ?? {}).map(([stepId, step]) => [
          stepId,
          step.successRate === null
            ? `skipped ${step.tasks.SKIPPED ?? 0}×`
            : `p95 ${ms(step.duration.p95Ms)} · ${formatRatio(step.successRate)}`,
        ]),
      ),
    [data],
  );

  if (workflow.error) {
    return (
      <div className="page">
        <h1>Workflow {id}</h1>
        <LoadError error={workflow.error} what={`Workflow ${id}`} forbidden={WORKFLOWS_FORBIDDEN} />
        <Link href="/workflows">All workflows</Link>
      </div>
    );
  }
  const summary = data?.summary;
  const percentileLabel = PERCENTILES.find((p) => p.key === percentile)?.label ?? 'p95';
  const slowestStep = slowest(data, percentile);

  return (
    <div className="page">
      <div className="page-head">
        <div>
          <div className="muted small">
            <Link href="/workflows">Workflows</Link> / <span className="mono">{id}</span>
          </div>
          <h1>{workflow.data?.name ?? id}</h1>
          {workflow.data?.description && <p className="muted">{workflow.data.description}</p>}
        </div>
        <div className="row">
          <div>
            <label htmlFor="workflow-version">Version</label>
            <select
              id="workflow-version"
              value={shown?.version ?? ''}
              onChange={(event) => setChosenVersion(Number(event.target.value))}
            >
              {[...versions]
                .sort((a, b) => b.version - a.version)
                .map((version) => (
                  <option key={version.version} value={version.version}>
                    v{version.version} · {formatUtc(version.createdAt)}
                  </option>
                ))}
            </select>
          </div>
          <div>
            <label htmlFor="step-percentile">Step percentile</label>
            <select
              id="step-percentile"
              value={percentile}
              onChange={(event) => setPercentile(event.target.value as Percentile)}
            >
              {PERCENTILES.map((p) => (
                <option key={p.key} value={p.key}>
                  {p.label}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label htmlFor="workflow-range">Time range</label>
            <select
              id="workflow-range"
              value={range.key}
              onChange={(event) => setRangeKey(event.target.value)}
            >
              {TIME_RANGES.map((candidate) => (
                <option key={candidate.key} value={candidate.key}>
                  {candidate.label}
                </option>
              ))}
            </select>
          </div>
        </div>
      </div>

      <h2>Steps of v{shown?.version ?? '…'}</h2>
      {workflow.isPending ? (
        <p className="muted">Loading…</p>
      ) : (
        <WorkflowDag steps={steps} figures={figures} />
      )}
      <p className="muted small">
        Dashed boxes run only when their condition holds; a map box runs its steps once per item. Figures:{' '}
        {range.label.toLowerCase()}, all versions.
      </p>

      {versions.length > 1 && (
        <>
          <h2>Versions</h2>
          <table className="figures-table">
            <thead>
              <tr>
                <th>Version</th>
                <th>Registered (UTC)</th>
                <th>Steps</th>
                <th>Name</th>
              </tr>
            </thead>
            <tbody>
              {[...versions]
                .sort((a, b) => b.version - a.version)
                .map((version) => (
                  <tr key={version.version} data-testid="workflow-version" data-version={version.version}>
                    <td>
                      {version.version === shown?.version ? (
                        <strong>v{version.version} (drawn above)</strong>
                      ) : (
                        <button
                          type="button"
                          className="link"
                          onClick={() => setChosenVersion(version.version)}
                        >
                          v{version.version}
                        </button>
                      )}
                    </td>
                    <td>{formatTime(version.createdAt)}</td>
                    <td>{stepIds(version.definition.steps as readonly DagStep[]).length}</td>
                    <td>{version.name}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </>
      )}

      <h2>Metrics, {range.label.toLowerCase()}</h2>
      {metrics.error ? <LoadError error={metrics.error} what="Metrics" /> : null}
      {summary && (
        <div className="figures card" data-testid="metrics-summary">
          <Figure label="Tasks" value={formatNumber(summary.tasks.total)} />
          <Figure label="Success rate" value={formatRatio(summary.successRate)} />
          <Figure
            label="Failed"
            value={formatNumber((summary.tasks.FAILED ?? 0) + (summary.tasks.TIMED_OUT ?? 0))}
          />
          <Figure label="p50" value={ms(summary.duration.p50Ms)} />
          <Figure label="p95" value={ms(summary.duration.p95Ms)} />
          <Figure label="p99" value={ms(summary.duration.p99Ms)} />
          <Figure label="Retries" value={formatNumber(summary.retries)} />
          <Figure label="LLM calls" value={formatNumber(summary.llm.calls)} />
          <Figure label="LLM cost" value={formatUsd(summary.llm.costUsd)} />
          {data && <span className="muted small">as of {formatTime(data.asOf)} UTC</span>}
        </div>
      )}
      {summary && charts && (
        <div className="charts">
          <MetricsChart
            title="Success rate"
            chart={charts.success}
            summary={
              <>
                <Figure label="Success rate" value={formatRatio(summary.successRate)} />
                <Figure label="Tasks" value={formatNumber(summary.tasks.total)} />
              </>
            }
          />
          <MetricsChart
            title="Task duration"
            chart={charts.duration}
            summary={
              <>
                <Figure label="p50" value={ms(summary.duration.p50Ms)} />
                <Figure label="p95" value={ms(summary.duration.p95Ms)} />
                <Figure label="p99" value={ms(summary.duration.p99Ms)} />
              </>
            }
          />
          <MetricsChart
            title={`Step duration (${percentileLabel}) over time`}
            chart={charts.steps}
            summary={
              <Figure
                label={`Slowest step (${percentileLabel})`}
                value={slowestStep ? `${slowestStep.stepId} ${ms(slowestStep.value)}` : '—'}
              />
            }
          />
          <MetricsChart
            title="LLM tokens"
            chart={charts.tokens}
            summary={
              <>
                <Figure label="Tokens in" value={formatNumber(summary.llm.tokensIn)} />
                <Figure label="Tokens out" value={formatNumber(summary.llm.tokensOut)} />
                <Figure label="Cached" value={formatNumber(summary.llm.cachedTokens)} />
              </>
            }
          />
          <MetricsChart
            title="LLM cost"
            chart={charts.cost}
            summary={
              <>
                <Figure label="LLM cost" value={formatUsd(summary.llm.costUsd)} />
                <Figure label="Calls" value={formatNumber(summary.llm.calls)} />
              </>
            }
          />
        </div>
      )}
      {data && Object.keys(data.steps).length > 0 && (
        <>
          <h2>Steps, {range.label.toLowerCase()}</h2>
          <table className="figures-table">
            <thead>
              <tr>
                <th>Step</th>
                <th>Runs</th>
                <th>Success rate</th>
                <th>p50</th>
                <th>p95</th>
                <th>p99</th>
                <th>Retry rate</th>
                <th>LLM tokens</th>
                <th>LLM cost</th>
              </tr>
            </thead>
            <tbody>
              {[
                ...order.filter((stepId) => data.steps[stepId]),
                ...Object.keys(data.steps).filter((s) => !order.includes(s)),
              ].map((stepId) => {
                const step = data.steps[stepId];
                if (!step) return null;
                return (
                  <tr key={stepId} data-testid="step-metrics-row" data-step={stepId}>
                    <td className="mono">{stepId}</td>
                    <td>{formatNumber(step.tasks.total)}</td>
                    <td>{formatRatio(step.successRate)}</td>
                    <td>{ms(step.duration.p50Ms)}</td>
                    <td>{ms(step.duration.p95Ms)}</td>
                    <td>{ms(step.duration.p99Ms)}</td>
                    <td>{formatRatio(step.retryRate)}</td>
                    <td>{formatNumber(step.llm.tokensIn + step.llm.tokensOut)}</td>
                    <td>{step.llm.calls === 0 ? '—' : formatUsd(step.llm.costUsd)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}

/** The step with the highest `percentile` duration over the range. */
function slowest(data: WorkflowMetrics | undefined, percentile: Percentile) {
  let best: { stepId: string; value: number } | undefined;
  for (const [stepId, step] of Object.entries(data?.steps ?? {})) {
    const value = step.duration[percentile];
    if (value !== null && (!best || value > best.value)) best = { stepId, value };
  }
  return best;
}
