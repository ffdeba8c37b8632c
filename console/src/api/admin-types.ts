// The shapes of the workflow, metrics, health, worker and alert routes: the OpenAPI document's schemas
// (openapi.d.ts, see types.ts).
import type { components, paths } from './openapi';

type Schemas = components['schemas'];

export type WorkflowSummary = Schemas['WorkflowSummary'];
export type WorkflowVersion = Schemas['WorkflowVersion'];
export type WorkflowDetail = paths['/workflows/{id}']['get']['responses'][200]['content']['application/json'];

export type MetricsSummary = Schemas['MetricsSummary'];
export type WorkflowMetrics = Schemas['WorkflowMetrics'];
export type MetricsBucket = WorkflowMetrics['series'][number];
/** A step in one bucket of a workflow's series. */
export type StepPoint = MetricsBucket['steps'][string];

export type HealthReport = Schemas['MetricsHealth'];

export type WorkerView = Schemas['Worker'];
export type WorkerStatus = WorkerView['status'];
export type WorkerList = Schemas['WorkerList'];
export type WorkerStats = Schemas['WorkerStats'];

export type AlertRecord = Schemas['Alert'];
export type AlertDelivery = Schemas['AlertDelivery'];
