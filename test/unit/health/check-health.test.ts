import { describe, expect, it } from 'vitest';
import { checkHealth } from '../../../functions/shared/health/check-health';

describe('checkHealth', () => {
  it('is up when every probe answers', async () => {
    const report = await checkHealth({ a: async () => 1, b: async () => 2 });
    expect(report.status).toBe('up');
    expect(Object.keys(report.components)).toEqual(['a', 'b']);
  });

  it('is down and names the error when one probe fails', async () => {
    const report = await checkHealth({
      a: async () => 1,
      b: async () => {
        throw new TypeError('connection refused');
      },
    });
    expect(report.status).toBe('down');
    expect(report.components.a?.status).toBe('up');
    expect(report.components.b).toMatchObject({ status: 'down', error: 'TypeError: connection refused' });
  });

  it('marks a probe that does not answer in time as down', async () => {
    const report = await checkHealth({ slow: () => new Promise(() => undefined) }, { timeoutMs: 20 });
    expect(report.components.slow).toMatchObject({ status: 'down', error: expect.stringContaining('20 ms') });
  });
});
