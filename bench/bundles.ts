// Lambda bundles: each function bundled exactly as lib/stepwise-function.ts bundles it (its
// FUNCTION_BUNDLING options, run through esbuild's API), its minified size with the packages that weigh
// most, and its module init (the `import` of the bundle) in fresh Node processes given a Lambda-like
// environment, next to a bare Powertools Logger + middy handler bundled the same way
// (bench/bare-handler.ts). Init is measured with tracing off and on: on loads the Tracer (the X-Ray SDK and
// cls-hooked, whose async hooks run on every promise), so the cost of an `await` is printed for both too.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { FUNCTIONS, type FunctionName } from '../functions/shared/resources';
import { BUNDLE_BUDGET_BYTES, functionBundling, PROJECT_ROOT } from '../lib/stepwise-function';

/** Fresh processes per bundle and tracing setting; the median of them is printed. */
const RUNS = Number(process.env.STEPWISE_BENCH_INIT_RUNS ?? 5);
/** A function's module init stays under this multiple of the bare handler's. */
const INIT_BUDGET_RATIO = 5;
/** Awaits timed after the import, for the per-await cost. */
const AWAITS = 20_000;

// Under the project's node_modules, so the bundles resolve `@aws-sdk/*` there as Lambda's runtime would.
const OUT_DIR = join(PROJECT_ROOT, 'node_modules', '.cache', 'stepwise-bench-bundles');

// What the handlers read at load: dummy resources (nothing is called during init), the Lambda runtime's
// own variables, and the Powertools settings the stack gives every function.
const LAMBDA_ENVIRONMENT: Record<string, string> = {
  PATH: process.env.PATH ?? '',
  AWS_REGION: 'eu-west-1',
  AWS_DEFAULT_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
  AWS_LAMBDA_FUNCTION_NAME: 'bench',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
  POWERTOOLS_SERVICE_NAME: 'stepwise',
  POWERTOOLS_METRICS_NAMESPACE: 'stepwise',
  TABLE_NAME: 'stepwise',
  AGENT_STEPS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/agent-steps',
  TASK_EVENTS_DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/task-events-dlq',
  ALERT_DELIVERIES_DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/alert-deliveries-dlq',
  DLQ_URLS: 'https://sqs.eu-west-1.amazonaws.com/123456789012/task-events-dlq',
  ALERT_SECRET_PREFIX: 'stepwise/alerts',
  CRITICAL_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:critical',
  WARNING_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:warning',
  INFO_TOPIC_ARN: 'arn:aws:sns:eu-west-1:123456789012:info',
  WORKER_TYPES: '[]',
  WORKFLOW_ROLE_ARN: 'arn:aws:iam::123456789012:role/workflows',
  STEP_RUNNER_ARN: 'arn:aws:lambda:eu-west-1:123456789012:function:step-runner',
  STATE_MACHINE_PREFIX: 'Stepwise-',
  CURSOR_SIGNING_KEY: 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY',
  LLM_PROVIDER: 'openai',
  API_BASE_URL: 'https://api.example.com',
};

// Imports the bundle, then times awaits: printed as JSON on stdout. Init is taken as both wall time and
// CPU time (user + system): on a shared machine the wall time also counts the neighbours' work.
const PROBE = `
const cpu = process.cpuUsage();
const start = performance.now();
await import(process.argv[2]);
const initMs = performance.now() - start;
const { user, system } = process.cpuUsage(cpu);
const tick = async (i) => i;
const awaitStart = performance.now();
for (let i = 0; i < ${AWAITS}; i++) await tick(i);
const awaitNs = ((performance.now() - awaitStart) * 1e6) / ${AWAITS};
process.stdout.write(JSON.stringify({ initMs, initCpuMs: (user + system) / 1000, awaitNs }));
`;

interface Bundle {
  readonly name: string;
  readonly file: string;
  readonly bytes: number;
  /** The packages (or project folders: `functions/`, `docs/`) that put the most bytes in the bundle. */
  readonly heaviest: readonly { readonly source: string; readonly bytes: number }[];
}

/** esbuild's API given the options CDK turns into esbuild's command line for every function. */
async function bundle(name: string, entry: string, tracing: boolean): Promise<Bundle> {
  const options = functionBundling(tracing);
  const file = join(OUT_DIR, tracing ? `${name}-traced` : name, 'index.mjs');
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: options.target,
    format: options.format,
    minify: options.minify,
    sourcemap: options.sourceMap,
    external: options.externalModules,
    mainFields: options.mainFields,
    banner: { js: options.banner },
    ...('define' in options && { define: options.define }),
    outfile: file,
    absWorkingDir: PROJECT_ROOT,
    metafile: true,
    logLevel: 'error',
  });
  return { name, file, bytes: readFileSync(file).byteLength, heaviest: heaviestSources(result.metafile) };
}

function heaviestSources(metafile: Metafile): Bundle['heaviest'] {
  const bySource = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
      const source = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? `${path.split('/')[0]}/`;
      bySource.set(source, (bySource.get(source) ?? 0) + bytesInOutput);
    }
  }
  return [...bySource.entries()]
    .map(([source, bytes]) => ({ source, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 3);
}

interface InitFigures {
  readonly initMs: number;
  readonly initCpuMs: number;
  readonly awaitNs: number;
}

interface Probe {
  readonly file: string;
  readonly tracing: boolean;
}

/**
 * Median figures of each probe over RUNS fresh processes. The rounds interleave the probes, so a burst of
 * load on the machine spreads over all of them rather than skewing one against the baseline.
 */
function measureInit(probeFile: string, probes: readonly Probe[]): InitFigures[] {
  const samples = probes.map((): InitFigures[] => []);
  for (let run = 0; run < RUNS; run++) {
    probes.forEach(({ file, tracing }, index) => {
      const { status, stdout, stderr } = spawnSync(
        process.execPath,
        ['--enable-source-maps', probeFile, file],
        { env: { ...LAMBDA_ENVIRONMENT, POWERTOOLS_TRACE_ENABLED: String(tracing) }, encoding: 'utf8' },
      );
      if (status !== 0) throw new Error(`Loading ${file} failed: ${stderr}`);
      samples[index]?.push(JSON.parse(stdout) as InitFigures);
    });
  }
  return samples.map((runs) => ({
    initMs: median(runs.map((s) => s.initMs)),
    initCpuMs: median(runs.map((s) => s.initCpuMs)),
    awaitNs: median(runs.map((s) => s.awaitNs)),
  }));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

export async function benchBundles(): Promise<void> {
  rmSync(OUT_DIR, { recursive: true, force: true });
  mkdirSync(OUT_DIR, { recursive: true });
  const probe = join(OUT_DIR, 'probe.mjs');
  writeFileSync(probe, PROBE);

  const entries: [string, string][] = [
    ['bare', join(PROJECT_ROOT, 'bench', 'bare-handler.ts')],
    ...(Object.entries(FUNCTIONS) as [FunctionName, (typeof FUNCTIONS)[FunctionName]][]).map(
      ([name, shape]): [string, string] => [
        name,
        join(PROJECT_ROOT, 'functions', shape.folder, 'handler.ts'),
      ],
    ),
  ];
  // Each bundle as a deployment without tracing (the default) and with it.
  const bundles = await Promise.all(
    entries.map(async ([name, entry]) => ({
      untraced: await bundle(name, entry, false),
      traced: await bundle(name, entry, true),
    })),
  );
  const figures = measureInit(
    probe,
    bundles.flatMap(({ untraced, traced }) => [
      { file: untraced.file, tracing: false },
      { file: traced.file, tracing: true },
    ]),
  );
  const of = (index: number, tracing: boolean) => figures[index * 2 + (tracing ? 1 : 0)] as InitFigures;
  const bareInit = of(0, false);
  const init = (f: InitFigures) => `${f.initCpuMs.toFixed(1)} ms CPU (${f.initMs.toFixed(1)} ms wall)`;
  console.log(
    `Lambda bundles (ESM, minified, @aws-sdk/* external), as lib/stepwise-function.ts builds them: size (budget ${kb(BUNDLE_BUDGET_BYTES)}) and module init, median of ${RUNS} fresh processes (budget ${INIT_BUDGET_RATIO}x the bare handler's CPU time); tracing off (the default) and on`,
  );
  let within = true;
  bundles.forEach(({ untraced, traced }, index) => {
    const off = of(index, false);
    const on = of(index, true);
    const ratio = off.initCpuMs / bareInit.initCpuMs;
    const ok = untraced.bytes <= BUNDLE_BUDGET_BYTES && ratio <= INIT_BUDGET_RATIO;
    if (index > 0) within &&= ok;
    const label = index === 0 ? 'bare Logger + middy' : untraced.name;
    console.log(
      `  ${label.padEnd(19)} ${kb(untraced.bytes).padStart(9)} ${index === 0 ? '    ' : ok ? 'ok  ' : 'OVER'}  init ${init(off)} = ${ratio.toFixed(1)}x bare` +
        `; await ${off.awaitNs.toFixed(0)} ns` +
        ` | with tracing ${kb(traced.bytes)}, init ${init(on)}, await ${on.awaitNs.toFixed(0)} ns` +
        ` | heaviest: ${untraced.heaviest.map((h) => `${h.source} ${kb(h.bytes)}`).join(', ')}`,
    );
  });
  console.log(`  every function within budget (tracing off): ${within ? 'yes' : 'no'}`);
}
