// Small text-formatting helpers the CLI's views share: durations, tables, time arguments.

export class UsageError extends Error {
  override name = 'UsageError';
}

/** 850ms, 1.2s, 3m 05s, 2h 10m. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 2 : 1)}s`;
  const totalSeconds = Math.round(ms / 1_000);
  if (totalSeconds < 3_600) {
    return `${Math.floor(totalSeconds / 60)}m ${String(totalSeconds % 60).padStart(2, '0')}s`;
  }
  const minutes = Math.floor(totalSeconds / 60);
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

export function formatPercent(ratio: number | undefined): string {
  return ratio === undefined || !Number.isFinite(ratio) ? '-' : `${(ratio * 100).toFixed(1)}%`;
}

export function formatUsd(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '-';
  return value < 0.01 && value > 0 ? `$${value.toFixed(6)}` : `$${value.toFixed(2)}`;
}

/** Columns padded to their widest cell; the last column is not padded. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (row: readonly string[]) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/**
 * A time argument: an ISO 8601 date-time, or a span before `now` such as 30m, 6h, 7d. Returned as the
 * ISO date-time the API takes.
 */
export function parseTimeArgument(value: string, option: string, now: Date): string {
  const relative = /^(\d+)(m|h|d)$/.exec(value.trim());
  if (relative) {
    const unitMs = { m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 'm' | 'h' | 'd'];
    return new Date(now.getTime() - Number(relative[1]) * unitMs).toISOString();
  }
  const parsed = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(parsed)) {
    throw new UsageError(
      `${option} takes an ISO date-time (2026-01-31T12:00:00Z) or a span ago (30m, 6h, 7d)`,
    );
  }
  return new Date(parsed).toISOString();
}

/** A positive integer option. */
export function parsePositiveInteger(value: string, option: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < 1) {
    throw new UsageError(`${option} takes a positive integer, got "${value}"`);
  }
  return number;
}

/** A whole number of seconds, at least `min`, at most an hour. */
export function parseSeconds(value: string, option: string, min: 0 | 1): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > 3_600) {
    throw new UsageError(`${option} takes a whole number of seconds from ${min} to 3600, got "${value}"`);
  }
  return number;
}

/** `key:value` of a tag filter. */
export function parseTag(value: string): string {
  const colon = value.indexOf(':');
  if (colon < 1 || colon === value.length - 1) {
    throw new UsageError(`--tag takes key:value, got "${value}"`);
  }
  return value;
}
