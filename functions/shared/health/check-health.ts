// Component health: each probe makes one cheap read-only call to the service it stands for. The same
// probes run on AWS and on the embedded stack, so `GET /health` says the same thing in both places.

export type ComponentState = 'up' | 'down';

export interface ComponentHealth {
  readonly status: ComponentState;
  readonly latencyMs: number;
  readonly error?: string;
}

export interface HealthReport {
  readonly status: ComponentState;
  readonly components: Record<string, ComponentHealth>;
}

/** A named check that resolves when its component answers and rejects otherwise. */
export type HealthProbes = Record<string, () => Promise<unknown>>;

const DEFAULT_PROBE_TIMEOUT_MS = 2_000;

export async function checkHealth(
  probes: HealthProbes,
  { timeoutMs = DEFAULT_PROBE_TIMEOUT_MS, now = () => performance.now() } = {},
): Promise<HealthReport> {
  const entries = await Promise.all(
    Object.entries(probes).map(async ([name, probe]): Promise<[string, ComponentHealth]> => {
      const started = now();
      try {
        await withTimeout(probe(), timeoutMs);
        return [name, { status: 'up', latencyMs: Math.round(now() - started) }];
      } catch (error) {
        const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        return [name, { status: 'down', latencyMs: Math.round(now() - started), error: message }];
      }
    }),
  );
  const components = Object.fromEntries(entries);
  const status = entries.every(([, health]) => health.status === 'up') ? 'up' : 'down';
  return { status, components };
}

class ProbeTimeoutError extends Error {
  override name = 'ProbeTimeoutError';
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProbeTimeoutError(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
