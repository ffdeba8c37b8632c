// The handlers' Metrics report their own warnings through the structured logger, so the log level
// (POWERTOOLS_LOG_LEVEL; STEPWISE_LOG_LEVEL on the local stack) governs them like any other log line.
import { afterEach, expect, it, vi } from 'vitest';
import { logger, metrics } from '../../functions/shared/powertools';

afterEach(() => {
  vi.restoreAllMocks();
});

it('sends the warning about an invocation without metrics to the logger', () => {
  const warn = vi.spyOn(logger, 'warn').mockImplementation(() => undefined);
  metrics.publishStoredMetrics();
  expect(warn).toHaveBeenCalledWith(expect.stringContaining('No application metrics to publish'));
});
