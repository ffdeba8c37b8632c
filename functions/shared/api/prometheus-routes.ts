// The Prometheus scrape (GET /metrics), served by the metrics function: it alone bundles prom-client.
// OPERATOR reads every org (or the one it names), anyone else only their own org (orgScope).
import { orgScope } from '../auth/org-scope';
import type { MetricsDeps } from '../telemetry/metrics-queries';
import { PROMETHEUS_CONTENT_TYPE } from '../telemetry/prometheus';
import { prometheusExposition } from '../telemetry/prometheus-exposition';
import * as z from '../zod-mini';
import type { ApiOperation } from './api-routes';
import { OrgQuery, parseWith } from './request';

export interface PrometheusRouteDeps {
  readonly metrics: MetricsDeps;
}

const ScrapeQuery = z.strictObject({ org: z.optional(OrgQuery) });

export const PROMETHEUS_OPERATIONS: Record<string, ApiOperation<PrometheusRouteDeps>> = {
  'GET /metrics': async (event, identity, deps) => {
    const input = parseWith(ScrapeQuery, event.queryStringParameters ?? {}, 'query');
    return {
      statusCode: 200,
      headers: { 'content-type': PROMETHEUS_CONTENT_TYPE },
      body: await prometheusExposition(deps.metrics, orgScope(identity, input.org)),
    };
  },
};
