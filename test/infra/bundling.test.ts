// The one full synthesis, as `cdk synth` runs it: every function bundled by the local esbuild (never
// Docker) into an ESM bundle with a source map and the createRequire shim, the templates checked against
// the CloudFormation schemas, and cdk-nag run as a validation plugin (synth throws on an unacknowledged
// error, so beforeAll fails).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTIONS, type FunctionName } from '../../functions/shared/resources';
import { type BuiltApp, buildApp } from '../../lib/app';
import { BUNDLE_BUDGET_BYTES } from '../../lib/stepwise-function';
import { logicalId } from './synth';

interface SynthesizedTemplate {
  readonly Resources: Record<string, { Metadata?: Record<string, string> }>;
}

describe('function bundles', () => {
  let outdir: string;
  let stack: BuiltApp['stack'];
  let template: SynthesizedTemplate;
  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'stepwise-bundles-'));
    const built = buildApp({
      context: { 'aws:cdk:enable-asset-metadata': true },
      env: {},
      outdir,
    });
    built.app.synth();
    stack = built.stack;
    template = JSON.parse(
      readFileSync(join(outdir, `${stack.artifactId}.template.json`), 'utf8'),
    ) as SynthesizedTemplate;
  });
  afterAll(() => {
    rmSync(outdir, { recursive: true, force: true });
  });

  const bundleOf = (name: FunctionName) => {
    const assetPath =
      template.Resources[logicalId(stack, stack.functions[name])]?.Metadata?.['aws:asset:path'];
    expect(assetPath).toBeDefined();
    return join(outdir, assetPath ?? '', 'index.mjs');
  };

  it.each(Object.keys(FUNCTIONS) as FunctionName[])('%s bundles to an ESM file with a source map', (name) => {
    const bundle = bundleOf(name);
    expect(existsSync(`${bundle}.map`)).toBe(true);
    const code = readFileSync(bundle, 'utf8');
    expect(code).toMatch(/^import\s*\{\s*createRequire\s*\}\s*from\s*['"]module['"]/);
    // The AWS SDK v3 stays external: nodejs24.x provides it, so it is imported, not bundled. The table is
    // reached through the lean client (functions/shared/clients/dynamodb.ts): of the SDK's DynamoDB
    // packages only util-dynamodb's marshalling is loaded, not the client and its middleware. (The docs
    // function, which serves the OpenAPI document, calls no AWS service.)
    if (name !== 'docs') expect(code).toMatch(/from\s*['"]@aws-sdk\/util-dynamodb['"]/);
    expect(code).not.toMatch(/['"]@aws-sdk\/(client|lib)-dynamodb['"]/);
  });

  // esbuild hoists a static import of an external package to the bundle's init, so a client used on a rare
  // path (a live post, an alert, a secret, a Bedrock or Lambda step) would weigh on every cold start: they
  // are loaded with import() on first use (functions/shared/clients/lazy-sdk.ts).
  it.each(Object.keys(FUNCTIONS) as FunctionName[])(
    '%s imports no AWS SDK package but util-dynamodb at module init',
    (name) => {
      const code = readFileSync(bundleOf(name), 'utf8');
      const atInit = [...code.matchAll(/from\s*['"](@aws-sdk\/[^'"]+)['"]/g)].map((match) => match[1]);
      expect(atInit.filter((pkg) => pkg !== '@aws-sdk/util-dynamodb')).toEqual([]);
    },
  );

  it('loads the clients of rare paths on first use', () => {
    const stepRunner = readFileSync(bundleOf('stepRunner'), 'utf8');
    for (const pkg of ['client-bedrock-runtime', 'client-lambda', 'client-secrets-manager', 'client-sns']) {
      expect(stepRunner).toMatch(new RegExp(`import\\(\\s*['"]@aws-sdk/${pkg}['"]\\s*\\)`));
    }
  });

  it.each(Object.keys(FUNCTIONS) as FunctionName[])(
    '%s bundles within the size budget, without the Tracer (tracing is off by default)',
    (name) => {
      const code = readFileSync(bundleOf(name), 'utf8');
      expect(Buffer.byteLength(code)).toBeLessThanOrEqual(BUNDLE_BUDGET_BYTES);
      expect(code).not.toContain('aws-xray-sdk');
    },
  );

  // Lambda code validates with zod/mini (functions/shared/zod-mini.ts), whose functions esbuild tree-shakes:
  // one import of zod's classic build, direct or through a shared module, brings its schema classes and
  // every method on them (65-80 KB a bundle; the registry was 313 KB with it). The worker SDK (sdk/), which
  // no Lambda bundles, keeps the classic build.
  it.each(Object.keys(FUNCTIONS) as FunctionName[])(
    "%s bundles no part of zod's classic build and no locale but English",
    (name) => {
      const { sources } = JSON.parse(readFileSync(`${bundleOf(name)}.map`, 'utf8')) as { sources: string[] };
      const zodOutsideMini = sources.filter((source) =>
        /node_modules\/zod\/(v3\/|v4\/classic\/|v4\/locales\/(?!en\.js$))/.test(source),
      );
      expect(zodOutsideMini).toEqual([]);
    },
  );
});
