// Reads a Prometheus text exposition with parse-prometheus-text-format (prom2json's JSON shape).
// That parser folds all series of a histogram into one, keeping only unlabeled _sum/_count
// (yunyu/parse-prometheus-text-format#13, fix in the still-open #8), so histograms are parsed a second
// time declared untyped, which keeps every _bucket/_sum/_count sample with its labels, and reassembled.
import parsePrometheusTextFormat, { type ParsedFamily } from 'parse-prometheus-text-format';

export interface HistogramSeries {
  readonly labels: Record<string, string>;
  readonly buckets: Record<string, number>;
  readonly sum: number;
  readonly count: number;
}

export interface Exposition {
  readonly types: Record<string, ParsedFamily['type']>;
  /** Counter and gauge samples by family: labels and value. */
  samples(name: string): { labels: Record<string, string>; value: number }[];
  histogram(name: string): HistogramSeries[];
}

export function parseExposition(text: string): Exposition {
  const families = parsePrometheusTextFormat(text);
  const untyped = parsePrometheusTextFormat(text.replace(/^(# TYPE \S+) histogram$/gm, '$1 untyped'));
  const samplesOf = (list: ParsedFamily[], name: string) =>
    list
      .filter((family) => family.name === name)
      .flatMap((family) => family.metrics)
      .map((sample) => ({
        labels: { ...sample.labels },
        value: Number(sample.value),
      }));
  return {
    types: Object.fromEntries(families.map((family) => [family.name, family.type])),
    samples: (name) => samplesOf(families, name),
    histogram: (name) => {
      const series = new Map<
        string,
        { labels: Record<string, string>; buckets: Record<string, number>; sum: number; count: number }
      >();
      const entry = (labels: Record<string, string>) => {
        const id = JSON.stringify(labels);
        let found = series.get(id);
        if (!found) {
          found = { labels, buckets: {}, sum: Number.NaN, count: Number.NaN };
          series.set(id, found);
        }
        return found;
      };
      // Untyped, each run of samples of one name is a family: <name>_bucket, _sum, _count, per series.
      for (const { labels, value } of samplesOf(untyped, `${name}_bucket`)) {
        const { le, ...rest } = labels;
        entry(rest).buckets[le as string] = value;
      }
      for (const { labels, value } of samplesOf(untyped, `${name}_sum`)) entry(labels).sum = value;
      for (const { labels, value } of samplesOf(untyped, `${name}_count`)) entry(labels).count = value;
      return [...series.values()];
    },
  };
}
