// A fixed log-bucket histogram (DDSketch's logarithmic mapping) for durations in milliseconds: sparse,
// mergeable by adding counts, and small enough to live in a DynamoDB attribute as a short string.
//
// Bound: a value v >= 1 falls in bucket k = ceil(log_γ v), which holds (γ^(k-1), γ^k]; the bucket answers
// with r = 2γ^k / (γ + 1). Since γ^(k-1) <= v <= γ^k, r / v lies in [2/(γ+1), 2γ/(γ+1)] = [1-α, 1+α] with
// α = (γ-1)/(γ+1). With γ = 1.08, α = 0.0385: any percentile read from the buckets is within 3.85 %
// (relative) of the exact value of the same rank, because the exact value lies in the bucket that the
// rank falls in. Answers are also clamped to the exact min and max, which only brings them closer.
// Values below 1 ms (0 ms) share one zero bucket that answers 0.

export const GAMMA = 1.08;
/** The relative error bound of any percentile: (γ-1)/(γ+1). */
export const RELATIVE_ERROR = (GAMMA - 1) / (GAMMA + 1);
const LOG_GAMMA = Math.log(GAMMA);
const ZERO_BUCKET = -1;

/** Bucket index of a value: -1 for values below 1, else ceil(log_γ v). */
export const bucketOf = (value: number): number =>
  value < 1 ? ZERO_BUCKET : Math.ceil(Math.log(value) / LOG_GAMMA);

/** What a bucket answers: the value whose relative distance to both bucket bounds is α. */
export const bucketValue = (bucket: number): number =>
  bucket === ZERO_BUCKET ? 0 : (2 * GAMMA ** bucket) / (GAMMA + 1);

/** Upper bound of a bucket, for exposition formats with `le` buckets (Prometheus). */
export const bucketUpperBound = (bucket: number): number => (bucket === ZERO_BUCKET ? 1 : GAMMA ** bucket);

export class LogHistogram {
  private readonly counts = new Map<number, number>();

  static decode(encoded: string | undefined): LogHistogram {
    const histogram = new LogHistogram();
    if (!encoded) return histogram;
    for (const pair of encoded.split(',')) {
      const [bucket, count] = pair.split(':').map(Number);
      if (Number.isInteger(bucket) && Number.isInteger(count) && (count ?? 0) > 0) {
        histogram.add(bucket as number, count as number);
      }
    }
    return histogram;
  }

  record(value: number, count = 1): this {
    return this.add(bucketOf(value), count);
  }

  merge(other: LogHistogram): this {
    for (const [bucket, count] of other.counts) this.add(bucket, count);
    return this;
  }

  get count(): number {
    let total = 0;
    for (const count of this.counts.values()) total += count;
    return total;
  }

  /** Buckets in ascending order with their counts. */
  buckets(): [bucket: number, count: number][] {
    return [...this.counts.entries()].sort(([a], [b]) => a - b);
  }

  /**
   * The value of rank ceil(q * n) (nearest rank, 1-based), within RELATIVE_ERROR, clamped to [min, max]
   * when given; undefined when empty.
   */
  percentile(q: number, clamp?: { min: number; max: number }): number | undefined {
    const total = this.count;
    if (total === 0) return undefined;
    const rank = Math.max(1, Math.ceil(q * total));
    let seen = 0;
    for (const [bucket, count] of this.buckets()) {
      seen += count;
      if (seen < rank) continue;
      const value = bucketValue(bucket);
      return clamp ? Math.min(clamp.max, Math.max(clamp.min, value)) : value;
    }
    return undefined;
  }

  /** `bucket:count` pairs by ascending bucket, comma-separated: "-1:2,87:5,88:1". */
  encode(): string {
    return this.buckets()
      .map(([bucket, count]) => `${bucket}:${count}`)
      .join(',');
  }

  private add(bucket: number, count: number): this {
    this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + count);
    return this;
  }
}
