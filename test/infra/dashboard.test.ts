// The CloudWatch dashboard: its three groups (RED, USE, business), and the EMF metrics it graphs are the
// ones the code emits: same namespace, names and dimension sets, taken from the emitter's own output.
import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../functions/shared/resources';
import {
  activeTasksToEmf,
  EMF_METRICS,
  EMF_NAMESPACE,
  type EmfDocument,
  loadEmfConfig,
  taskMetricsToEmf,
  taskStartedToEmf,
} from '../../functions/shared/telemetry/emf-metrics';
import { DASHBOARD_GROUPS } from '../../lib/dashboard';
import { logicalId, type Synthesized, synthesize } from './synth';

type MetricRow = (string | Record<string, unknown>)[];
interface Widget {
  type: string;
  properties: { markdown?: string; title?: string; metrics?: MetricRow[] };
}

/** The dashboard body with each CloudFormation token written as `<Ref:LogicalId>` (or its JSON). */
function dashboardBody(built: Synthesized): { widgets: Widget[] } {
  const dashboards = Object.values(built.template.findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  const body = dashboards[0]?.Properties.DashboardBody as string | { 'Fn::Join': [string, unknown[]] };
  const text =
    typeof body === 'string'
      ? body
      : body['Fn::Join'][1]
          .map((part) =>
            typeof part === 'string'
              ? part
              : 'Ref' in (part as object)
                ? `<Ref:${(part as { Ref: string }).Ref}>`
                : `<${JSON.stringify(part).replace(/"/g, "'")}>`,
          )
          .join('');
  return JSON.parse(text) as { widgets: Widget[] };
}

/** Widgets by the group header (a text widget) they follow. */
function groups(widgets: Widget[]): Map<string, Widget[]> {
  const byGroup = new Map<string, Widget[]>();
  let current = '';
  for (const widget of widgets) {
    if (widget.type === 'text') {
      current = (widget.properties.markdown ?? '').replace(/^#+\s*/, '');
      byGroup.set(current, []);
    } else {
      byGroup.get(current)?.push(widget);
    }
  }
  return byGroup;
}

/** A metric row as `{namespace, name, dimensions}`; expressions are left out. */
function plainMetrics(widgets: Widget[]) {
  return widgets.flatMap((widget) =>
    (widget.properties.metrics ?? [])
      .filter((row) => typeof row[0] === 'string')
      .map((row) => {
        const values = row.filter((cell): cell is string => typeof cell === 'string');
        const [namespace, name, ...pairs] = values;
        const dimensions: Record<string, string> = {};
        for (let i = 0; i + 1 < pairs.length; i += 2) dimensions[pairs[i] as string] = pairs[i + 1] as string;
        const options = row.find((cell) => typeof cell === 'object') as { stat?: string } | undefined;
        return { namespace, name, dimensions, stat: options?.stat, widget: widget.properties.title };
      }),
  );
}

function expressions(widgets: Widget[]): string[] {
  return widgets.flatMap((widget) =>
    (widget.properties.metrics ?? []).flatMap((row) =>
      row
        .filter((cell): cell is { expression: string } => typeof cell === 'object' && 'expression' in cell)
        .map((cell) => cell.expression),
    ),
  );
}

/** Every (metric name, sorted dimension names) pair the emitter produces, from its real documents. */
function emittedPairs(): Set<string> {
  const config = loadEmfConfig({ METRICS_WORKFLOWS: 'wf' });
  const documents: EmfDocument[] = [
    ...taskMetricsToEmf(
      {
        task: { taskId: 't', workflowId: 'wf', status: 'SUCCEEDED' },
        metrics: {
          queueMs: 1,
          executionMs: 1,
          durationMs: 2,
          attempts: 1,
          retries: 0,
          llm: {
            calls: 1,
            tokensIn: 1,
            tokensOut: 1,
            cachedTokens: 0,
            toolCalls: 0,
            latencyMs: 1,
            costUsd: 0.1,
          },
          steps: { s: { status: 'SUCCEEDED', durationMs: 1, attempts: 1, retries: 0 } },
        },
      },
      config,
      0,
    ),
    taskStartedToEmf('wf', config, 0),
    activeTasksToEmf(1, 0),
  ];
  const pairs = new Set<string>();
  for (const document of documents) {
    for (const directive of document._aws.CloudWatchMetrics) {
      expect(directive.Namespace).toBe(EMF_NAMESPACE);
      for (const metric of directive.Metrics) {
        for (const set of directive.Dimensions) pairs.add(`${metric.Name}|${[...set].sort().join(',')}`);
      }
    }
  }
  return pairs;
}

describe('dashboard', () => {
  let built: Synthesized;
  let widgets: Widget[];
  let byGroup: Map<string, Widget[]>;

  beforeAll(() => {
    built = synthesize();
    widgets = dashboardBody(built).widgets;
    byGroup = groups(widgets);
  });

  it('holds the RED, USE and business groups, in that order, each with graphs', () => {
    expect([...byGroup.keys()]).toEqual([
      DASHBOARD_GROUPS.red,
      DASHBOARD_GROUPS.use,
      DASHBOARD_GROUPS.business,
    ]);
    for (const group of byGroup.values()) {
      expect(group.length).toBeGreaterThan(0);
      expect(group.every((widget) => widget.type === 'metric')).toBe(true);
    }
  });

  it('graphs API requests, 4xx and 5xx errors and p95 latency of this stack’s HTTP API', () => {
    const apiId = `<Ref:${logicalId(built.stack, built.stack.api.httpApi)}>`;
    const red = plainMetrics(byGroup.get(DASHBOARD_GROUPS.red) ?? []);
    for (const name of ['Count', '4xx', '5xx']) {
      expect(red).toContainEqual(
        expect.objectContaining({
          namespace: 'AWS/ApiGateway',
          name,
          dimensions: { ApiId: apiId },
          stat: 'Sum',
        }),
      );
    }
    expect(red).toContainEqual(
      expect.objectContaining({
        namespace: 'AWS/ApiGateway',
        name: 'Latency',
        dimensions: { ApiId: apiId },
        stat: 'p95',
      }),
    );
  });

  it('graphs concurrency, p95 duration, errors and throttles of every function', () => {
    const use = plainMetrics(byGroup.get(DASHBOARD_GROUPS.use) ?? []);
    const functionNames = Object.keys(FUNCTIONS) as (keyof typeof FUNCTIONS)[];
    for (const name of functionNames) {
      const ref = `<Ref:${logicalId(built.stack, built.stack.functions[name])}>`;
      for (const [metric, stat] of [
        ['ConcurrentExecutions', 'Maximum'],
        ['Duration', 'p95'],
        ['Errors', 'Sum'],
        ['Throttles', 'Sum'],
      ]) {
        expect(use, `${metric} of ${name}`).toContainEqual(
          expect.objectContaining({
            namespace: 'AWS/Lambda',
            name: metric,
            dimensions: { FunctionName: ref },
            stat,
          }),
        );
      }
    }
  });

  it('graphs the table’s consumed capacity and throttles, and every queue’s oldest message', () => {
    const use = plainMetrics(byGroup.get(DASHBOARD_GROUPS.use) ?? []);
    const table = `<Ref:${logicalId(built.stack, built.stack.data.table)}>`;
    for (const name of [
      'ConsumedWriteCapacityUnits',
      'ConsumedReadCapacityUnits',
      'WriteThrottleEvents',
      'ReadThrottleEvents',
    ]) {
      expect(use).toContainEqual(
        expect.objectContaining({ namespace: 'AWS/DynamoDB', name, dimensions: { TableName: table } }),
      );
    }
    const ages = use.filter((metric) => metric.name === 'ApproximateAgeOfOldestMessage');
    expect(ages).toHaveLength(Object.keys(built.stack.messaging.queues).length);
    expect(ages.every((metric) => metric.namespace === 'AWS/SQS')).toBe(true);
  });

  it('graphs tasks started, succeeded and failed, success rate, p95 duration, active tasks, tokens and cost', () => {
    const business = byGroup.get(DASHBOARD_GROUPS.business) ?? [];
    const metrics = plainMetrics(business);
    const find = (name: string, extra: Record<string, string> = {}) =>
      metrics.find(
        (metric) =>
          metric.namespace === EMF_NAMESPACE &&
          metric.name === name &&
          Object.entries(extra).every(([key, value]) => metric.dimensions[key] === value),
      );
    expect(find(EMF_METRICS.tasksStarted.name)).toBeDefined();
    expect(find(EMF_METRICS.tasksSettled.name, { status: 'SUCCEEDED' })).toBeDefined();
    expect(find(EMF_METRICS.tasksSettled.name, { status: 'FAILED' })).toBeDefined();
    expect(find(EMF_METRICS.taskDuration.name)?.stat).toBe('p95');
    expect(find(EMF_METRICS.activeTasks.name)).toBeDefined();
    for (const metric of [EMF_METRICS.llmTokensIn, EMF_METRICS.llmTokensOut, EMF_METRICS.llmCostUsd]) {
      expect(find(metric.name)?.stat).toBe('Sum');
    }
    expect(expressions(business)).toContainEqual(expect.stringMatching(/^100 \* FILL\(succeeded, 0\) \//));
  });

  it('graphs only EMF metrics and dimension sets the code emits, in its namespace', () => {
    const emitted = emittedPairs();
    const business = byGroup.get(DASHBOARD_GROUPS.business) ?? [];
    const own = plainMetrics(widgets).filter((metric) => !metric.namespace?.startsWith('AWS/'));
    expect(own.length).toBeGreaterThan(0);
    for (const metric of own) {
      expect(metric.namespace).toBe(EMF_NAMESPACE);
      expect(emitted, `${metric.name} by ${Object.keys(metric.dimensions)}`).toContain(
        `${metric.name}|${Object.keys(metric.dimensions).sort().join(',')}`,
      );
    }
    const searches = expressions(business).filter((expression) => expression.startsWith('SEARCH('));
    expect(searches.length).toBeGreaterThan(0);
    for (const search of searches) {
      const [, schema, name] = /^SEARCH\('\{([^}]+)\} MetricName="([^"]+)"'/.exec(search) ?? [];
      const [namespace, ...dimensions] = (schema ?? '').split(',');
      expect(namespace).toBe(EMF_NAMESPACE);
      expect(emitted).toContain(`${name}|${dimensions.sort().join(',')}`);
    }
  });
});

describe('EMF workflow dimension', () => {
  it('gives every function that settles tasks (task-events, api, reconciler) the listed workflows', () => {
    const built = synthesize({ metricsWorkflows: 'basic_sequence, data_pipeline' });
    const listed = built.template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { METRICS_WORKFLOWS: 'basic_sequence,data_pipeline' } } },
    });
    expect(Object.keys(listed)).toHaveLength(3);
  });

  it('refuses more workflows than the cap at synth', () => {
    const many = Array.from({ length: 21 }, (_, i) => `wf${i}`).join(',');
    expect(() => synthesize({ metricsWorkflows: many })).toThrow(/at most 20/);
  });
});
