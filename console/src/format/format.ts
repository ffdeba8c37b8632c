// Display formats shared by every page: durations, instants, relative ages, and the tone of a status.
// Pure functions (unit-tested without a browser).

/** 850 ms, 4.2 s, 3 m 05 s, 2 h 07 m, 3 d 4 h. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  const value = Math.max(0, ms);
  if (value < 1000) return `${Math.round(value)} ms`;
  if (value < 60_000) return `${(value / 1000).toFixed(value < 10_000 ? 2 : 1)} s`;
  const seconds = Math.floor(value / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} m ${pad(seconds % 60)} s`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ${pad(Math.floor(seconds / 60) % 60)} m`;
  return `${Math.floor(seconds / 86_400)} d ${Math.floor(seconds / 3600) % 24} h`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `2026-03-02 09:12:31` in UTC (operators compare times across zones and with logs, which are UTC). */
export function formatTime(iso: string | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, '')
    .replace('Z', '');
}

/**
 * `2026-03-02 09:12:31 UTC`: an instant shown where no column heading or sentence says UTC already, so a
 * reader elsewhere does not take it for their own time.
 */
export function formatUtc(iso: string | undefined): string {
  const text = formatTime(iso);
  return iso && !Number.isNaN(Date.parse(iso)) ? `${text} UTC` : text;
}

/** `09:12:31.042` (within one task, milliseconds matter). */
export function formatClock(iso: string | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toISOString().slice(11, 23);
}

/** `12 s ago`, `5 m ago`, `3 h ago`, `2 d ago`; `in 4 m` for the future. */
export function formatAge(iso: string | undefined, now: number = Date.now()): string {
  if (!iso) return '—';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const diff = now - at;
  const seconds = Math.round(Math.abs(diff) / 1000);
  const text =
    seconds < 60
      ? `${seconds} s`
      : seconds < 3600
        ? `${Math.floor(seconds / 60)} m`
        : seconds < 86_400
          ? `${Math.floor(seconds / 3600)} h`
          : `${Math.floor(seconds / 86_400)} d`;
  return diff >= 0 ? `${text} ago` : `in ${text}`;
}

export type StatusTone = 'ok' | 'bad' | 'active' | 'waiting' | 'neutral';

const TONES: Record<string, StatusTone> = {
  SUCCEEDED: 'ok',
  RESOLVED: 'ok',
  ACTIVE: 'ok',
  IDLE: 'neutral',
  FAILED: 'bad',
  TIMED_OUT: 'bad',
  ABORTED: 'bad',
  DEAD: 'bad',
  OPEN: 'bad',
  STUCK: 'bad',
  RUNNING: 'active',
  BUSY: 'active',
  RETRYING: 'waiting',
  PENDING: 'waiting',
  WAITING: 'waiting',
  ACKNOWLEDGED: 'waiting',
  CANCELLED: 'neutral',
  SKIPPED: 'neutral',
  NOT_RUN: 'neutral',
};

export const statusTone = (status: string): StatusTone => TONES[status.toUpperCase()] ?? 'neutral';

/** `TIMED_OUT` -> `Timed out`. */
export function statusLabel(status: string): string {
  const words = status.toLowerCase().replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A number with thousands separators and at most `digits` decimals. */
export function formatNumber(value: number | undefined, digits = 0): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  return value.toLocaleString('en-US', { maximumFractionDigits: digits });
}

/** 0.9731 -> `97.3%`. */
export function formatPercent(ratio: number | undefined, digits = 1): string {
  if (ratio === undefined || !Number.isFinite(ratio)) return '—';
  return `${(ratio * 100).toFixed(digits)}%`;
}
