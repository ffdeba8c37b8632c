// The CDK app as `cdk synth` runs it (bin/app.ts, context in CDK_CONTEXT_JSON): a bad setting is one
// `stepwise:` line naming it and exit code 1, never a stack trace; each setting's own check throws a
// ConfigurationError, which is what the entry point turns into that line.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../functions/shared/config';
import { buildApp } from '../../lib/app';

const outdir = mkdtempSync(join(tmpdir(), 'stepwise-app-entry-'));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

function synth(context: Record<string, unknown>) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
    cwd: new URL('../../', import.meta.url),
    env: {
      ...process.env,
      CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [], ...context }),
      CDK_OUTDIR: outdir,
    },
    encoding: 'utf8',
  });
}

describe('cdk synth with a bad setting', () => {
  it.each([
    [
      { workerTypes: '[{"name":"Bad Name","orgs":[]}]' },
      'stepwise: workerTypes[0].name must be a slug: lowercase letters, digits, _ or -, at most 64 characters',
    ],
    [
      { logLevel: 'LOUD' },
      'stepwise: logLevel must be one of TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL, SILENT, got "LOUD"',
    ],
    [{ tracing: 'yes' }, 'stepwise: Context value tracing must be true or false, not "yes"'],
    [
      { llmBaseUrl: 'api.example.com/v1' },
      'stepwise: llmBaseUrl must be an http:// or https:// URL, got "api.example.com/v1"',
    ],
  ])('exits 1 with one line naming it: %j', (context, line) => {
    const { status, stderr } = synth(context);
    expect(status).toBe(1);
    expect(stderr.trim()).toBe(line);
  });

  it('throws a ConfigurationError for each JWT and lambdaFunctions mistake', () => {
    for (const context of [
      { jwtIssuer: 'https://issuer.example.com/pool' },
      { jwtAudience: 'client-id' },
      { cognitoDomain: 'https://auth.example.com' },
      { lambdaFunctions: '{"org-a":["*"]}' },
      { stackName: 42 },
    ]) {
      expect(
        () => buildApp({ context: { 'aws:cdk:bundling-stacks': [], ...context }, env: {} }),
        JSON.stringify(context),
      ).toThrow(ConfigurationError);
    }
  });
});
