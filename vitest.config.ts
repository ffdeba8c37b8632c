import { defineConfig } from 'vitest/config';

// Five projects: unit (pure code), integration (AWS SDK v3 clients against the embedded stack, which a
// global setup starts once on free ports), e2e (the HTTP API as a black box: the embedded stack, or any
// deployment given by STEPWISE_E2E_URL/STEPWISE_E2E_API_KEY), infra (CDK assertions and cdk-nag) and browser
// (the console in a real headless Chromium, against an embedded stack of its own).
// The integration global setup runs the embedded stack in vitest's main process, which turns on Powertools'
// per-invocation store (AWS_LAMBDA_MAX_CONCURRENCY, local/powertools-environment.ts); workers inherit the
// variable but not the store, and the local stack's metrics switch. Projects that run no stack in their
// workers set both back to Powertools' defaults ('' = no invoke store; metrics on).
const powertoolsDefaults = { AWS_LAMBDA_MAX_CONCURRENCY: '', POWERTOOLS_METRICS_DISABLED: 'false' };

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], env: powertoolsDefaults } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'e2e',
          env: powertoolsDefaults,
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/e2e/global-setup.ts'],
          testTimeout: 90_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'infra',
          env: powertoolsDefaults,
          include: ['test/infra/**/*.test.ts'],
          // One worker runs every infra file: aws-cdk-lib is imported once, and synth.ts's cache builds each
          // context's stack once per run rather than once per file (a third of the CPU time of isolated files).
          // The files share nothing else: they read the cached stacks and build their own apps to change one.
          isolate: false,
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
      {
        // The console in headless Chromium against an embedded stack of its own (its global setup), one
        // browser per file; test/run-suite.ts runs it after unit and infra, in a vitest run of its own.
        test: {
          name: 'browser',
          env: powertoolsDefaults,
          include: ['test/browser/**/*.test.ts'],
          globalSetup: ['test/browser/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // A page shows what it fetched some hundred milliseconds after a navigation or a change (more
          // on a busy machine): expect.poll waits on it up to 15 s rather than its default 1 s.
          expect: { poll: { timeout: 15_000, interval: 100 } },
        },
      },
    ],
  },
});
