import { describe, expect, it } from 'vitest';
import {
  backoffDelayMs,
  isRetryableStatus,
  isTransientFetchError,
  parseRetryAfter,
  retryWithBackoff,
} from '../../../functions/shared/retry/retry-with-backoff';

function recordingSleep() {
  const delays: number[] = [];
  return { delays, sleep: async (ms: number) => void delays.push(ms) };
}

function failingTimes(failures: number, error: () => unknown = () => new Error('flaky')) {
  let calls = 0;
  return async (attempt: number) => {
    calls++;
    if (calls <= failures) throw error();
    return `ok on attempt ${attempt}`;
  };
}

describe('retryWithBackoff', () => {
  it('waits 1 s, 2 s and 4 s between attempts without jitter', async () => {
    const { delays, sleep } = recordingSleep();
    const result = await retryWithBackoff(failingTimes(3), { jitter: 'none', sleep });
    expect(result).toEqual({ value: 'ok on attempt 4', attempts: 4 });
    expect(delays).toEqual([1000, 2000, 4000]);
  });

  it('returns at once, with one attempt, when the first call succeeds', async () => {
    const { delays, sleep } = recordingSleep();
    expect(await retryWithBackoff(async () => 42, { sleep })).toEqual({ value: 42, attempts: 1 });
    expect(delays).toEqual([]);
  });

  it('gives up after maxRetries and rethrows the last error', async () => {
    const { delays, sleep } = recordingSleep();
    let n = 0;
    const attempt = retryWithBackoff(
      async () => {
        throw new Error(`failure ${++n}`);
      },
      { maxRetries: 2, jitter: 'none', sleep },
    );
    await expect(attempt).rejects.toThrow('failure 3');
    expect(delays).toEqual([1000, 2000]);
  });

  it('does not retry an error the caller says is not retryable', async () => {
    const { delays, sleep } = recordingSleep();
    let calls = 0;
    const attempt = retryWithBackoff(
      async () => {
        calls++;
        throw new RangeError('bad input');
      },
      { sleep, isRetryable: (outcome) => !outcome.ok && !(outcome.error instanceof RangeError) },
    );
    await expect(attempt).rejects.toBeInstanceOf(RangeError);
    expect(calls).toBe(1);
    expect(delays).toEqual([]);
  });

  it('retries a retryable value and returns the last one when retries run out', async () => {
    const { delays, sleep } = recordingSleep();
    const result = await retryWithBackoff(async () => ({ status: 503 }), {
      maxRetries: 2,
      jitter: 'none',
      sleep,
      isRetryable: (outcome) => outcome.ok && outcome.value.status >= 500,
    });
    expect(result).toEqual({ value: { status: 503 }, attempts: 3 });
    expect(delays).toEqual([1000, 2000]);
  });

  it('keeps full-jitter delays between 0 and the exponential ceiling', async () => {
    const { delays, sleep } = recordingSleep();
    const randoms = [0.999, 0.5, 0];
    await retryWithBackoff(failingTimes(3), { sleep, random: () => randoms.shift() ?? 0 });
    expect(delays).toEqual([999, 1000, 0]);
    for (let retry = 0; retry < 10; retry++) {
      const ceiling = Math.min(60_000, 1000 * 2 ** retry);
      for (const random of [0, 0.25, 0.9999]) {
        const delay = backoffDelayMs(retry, { random: () => random });
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(ceiling);
      }
    }
  });

  it('caps delays at maxDelayMs', () => {
    expect(backoffDelayMs(10, { jitter: 'none' })).toBe(60_000);
    expect(backoffDelayMs(3, { jitter: 'none', maxDelayMs: 5_000 })).toBe(5_000);
  });

  it('waits at least the Retry-After the service asked for, capped by maxDelayMs', async () => {
    const { delays, sleep } = recordingSleep();
    await retryWithBackoff(failingTimes(2), {
      jitter: 'none',
      sleep,
      maxDelayMs: 10_000,
      retryAfterMs: () => 7_000,
    });
    expect(delays).toEqual([7_000, 7_000]);
    expect(backoffDelayMs(0, { jitter: 'none', maxDelayMs: 10_000 }, 120_000)).toBe(10_000);
    expect(backoffDelayMs(2, { jitter: 'none' }, 500)).toBe(4_000);
  });

  it('stops retrying when the signal aborts', async () => {
    const controller = new AbortController();
    let calls = 0;
    const attempt = retryWithBackoff(
      async () => {
        calls++;
        controller.abort(new Error('out of time'));
        throw new Error('flaky');
      },
      { signal: controller.signal, sleep: async () => undefined },
    );
    await expect(attempt).rejects.toThrow('flaky');
    expect(calls).toBe(1);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('3', now)).toBe(3_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
  });

  it('reads an HTTP-date relative to now', () => {
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:05 GMT', now)).toBe(5_000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:59:00 GMT', now)).toBe(0);
  });

  it('ignores a missing or unparseable value', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
  });
});

describe('retry classification', () => {
  it('treats 429 and 5xx as retryable statuses, other 4xx not', () => {
    expect([408, 429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 409].some(isRetryableStatus)).toBe(false);
  });

  it('treats timeouts and network failures as transient, aborts and bugs not', () => {
    expect(isTransientFetchError(new DOMException('timed out', 'TimeoutError'))).toBe(true);
    expect(isTransientFetchError(new TypeError('fetch failed'))).toBe(true);
    expect(isTransientFetchError(new DOMException('aborted', 'AbortError'))).toBe(false);
    expect(isTransientFetchError(new TypeError('Invalid URL'))).toBe(false);
  });
});
