// The one synthesis that bundles: every function's entry must build with the local esbuild (never
// Docker) into an ESM bundle with a source map and the createRequire shim.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FUNCTIONS, type FunctionName } from '../../functions/shared/resources';
import { buildApp } from '../../lib/app';
import { logicalId } from './synth';

describe('function bundles', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'stepwise-bundles-'));
  const { app, stack } = buildApp({
    context: { 'aws:cdk:enable-asset-metadata': true },
    env: {},
    outdir,
    builtinCloudFormationValidation: false,
  });
  app.synth();
  const template = JSON.parse(readFileSync(join(outdir, `${stack.artifactId}.template.json`), 'utf8')) as {
    Resources: Record<string, { Metadata?: Record<string, string> }>;
  };

  it.each(Object.keys(FUNCTIONS) as FunctionName[])('%s bundles to an ESM file with a source map', (name) => {
    const assetPath =
      template.Resources[logicalId(stack, stack.functions[name])]?.Metadata?.['aws:asset:path'];
    expect(assetPath).toBeDefined();
    const bundle = join(outdir, assetPath ?? '', 'index.mjs');
    expect(existsSync(`${bundle}.map`)).toBe(true);
    expect(readFileSync(bundle, 'utf8')).toMatch(/^import\s*\{\s*createRequire\s*\}\s*from\s*['"]module['"]/);
  });
});
