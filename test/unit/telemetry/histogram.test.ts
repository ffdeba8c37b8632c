import { describe, expect, it } from 'vitest';
import { bucketOf, GAMMA, LogHistogram, RELATIVE_ERROR } from '../../../functions/shared/telemetry/histogram';

/** The nearest-rank percentile the histogram approximates: the value of rank ceil(q * n), 1-based. */
function exactPercentile(sorted: number[], q: number): number {
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1] as number;
}

/** A small seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const QUANTILES = [0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];

function worstRelativeError(values: number[]): number {
  const histogram = new LogHistogram();
  for (const value of values) histogram.record(value);
  const sorted = [...values].sort((a, b) => a - b);
  const clamp = { min: sorted[0] as number, max: sorted.at(-1) as number };
  let worst = 0;
  for (const q of QUANTILES) {
    const exact = exactPercentile(sorted, q);
    const estimate = histogram.percentile(q, clamp) as number;
    const error = exact === 0 ? Math.abs(estimate) : Math.abs(estimate - exact) / exact;
    worst = Math.max(worst, error);
  }
  return worst;
}

describe('log-bucket histogram', () => {
  it('states a relative error bound of at most 5 %', () => {
    expect(RELATIVE_ERROR).toBeCloseTo((GAMMA - 1) / (GAMMA + 1), 12);
    expect(RELATIVE_ERROR).toBeLessThanOrEqual(0.05);
  });

  it.each([
    ['uniform 1 ms - 10 min', (r: () => number) => 1 + Math.floor(r() * 600_000)],
    ['log-uniform 1 ms - 1 day', (r: () => number) => Math.round(Math.exp(r() * Math.log(86_400_000)))],
    ['exponential, mean 800 ms', (r: () => number) => Math.round(-800 * Math.log(1 - r()))],
    [
      'bimodal 5 ms / 30 s',
      (r: () => number) => (r() < 0.9 ? 5 + Math.floor(r() * 3) : 30_000 + Math.floor(r() * 500)),
    ],
  ])('answers every percentile within the bound over random data: %s', (_name, draw) => {
    for (let seed = 1; seed <= 20; seed++) {
      const next = random(seed);
      const values = Array.from({ length: 1 + Math.floor(next() * 3000) }, () => draw(next));
      expect(worstRelativeError(values), `seed ${seed}`).toBeLessThanOrEqual(RELATIVE_ERROR + 1e-12);
    }
  });

  it('answers within the bound on adversarial data: bucket edges, just past them, zeros, one value, huge values', () => {
    const edges = Array.from({ length: 200 }, (_, k) => GAMMA ** k);
    const pastEdges = edges.map((edge) => edge * (1 + 1e-9));
    const cases: number[][] = [
      edges,
      pastEdges,
      [...edges, ...pastEdges],
      [0, 0, 0, 1, 1, 2],
      [0, 5000],
      [42],
      [1, 1e12],
      Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? 1 : 1e9)),
      Array.from({ length: 999 }, () => 7).concat([1e7]),
      // The two values of one bucket at its two ends: the bucket answers between them.
      [GAMMA ** 50 * (1 + 1e-9), GAMMA ** 51],
    ];
    for (const values of cases) expect(worstRelativeError(values)).toBeLessThanOrEqual(RELATIVE_ERROR + 1e-9);
  });

  it('merges by adding counts: a merged histogram answers as if it had seen every value', () => {
    const next = random(7);
    const a = Array.from({ length: 500 }, () => Math.round(next() * 10_000));
    const b = Array.from({ length: 300 }, () => Math.round(next() * 100_000));
    const merged = new LogHistogram();
    for (const value of a) merged.record(value);
    const other = new LogHistogram();
    for (const value of b) other.record(value);
    merged.merge(other);
    const whole = new LogHistogram();
    for (const value of [...a, ...b]) whole.record(value);
    expect(merged.encode()).toBe(whole.encode());
    expect(merged.count).toBe(800);
  });

  it('round-trips through its compact encoding, sparse and sorted', () => {
    const histogram = new LogHistogram().record(0).record(1).record(1000, 3).record(10);
    const encoded = histogram.encode();
    expect(encoded).toBe(`-1:1,0:1,${bucketOf(10)}:1,${bucketOf(1000)}:3`);
    expect(LogHistogram.decode(encoded).encode()).toBe(encoded);
    expect(LogHistogram.decode('').count).toBe(0);
  });

  it('stays small: a day of durations spread over 1 ms to 1 hour encodes in under 2 KB', () => {
    const next = random(3);
    const histogram = new LogHistogram();
    for (let i = 0; i < 100_000; i++) histogram.record(Math.round(Math.exp(next() * Math.log(3_600_000))));
    expect(histogram.encode().length).toBeLessThan(2048);
  });

  it('answers undefined when empty', () => {
    expect(new LogHistogram().percentile(0.5)).toBeUndefined();
  });
});
