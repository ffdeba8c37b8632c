// DLQ_URLS: the dead-letter queues the DLQ_NOT_EMPTY rule watches, comma-separated; the stack sets it on
// the sweeper (lib/stepwise-stack.ts: every DLQ it creates; local/stack.ts: the same queues locally).
export const DLQ_URLS_ENV = 'DLQ_URLS';

/** The URLs in DLQ_URLS (none when unset). */
export const loadDlqUrls = (env: NodeJS.ProcessEnv = process.env): string[] =>
  (env[DLQ_URLS_ENV] ?? '')
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url.length > 0);
