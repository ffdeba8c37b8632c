import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startLocalStack } from '../../../local/stack';

describe('the local stack lambda allowlist', () => {
  it('refuses a malformed LAMBDA_FUNCTIONS before starting anything, naming the variable', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'stepwise-lambda-functions-'));
    try {
      await expect(
        startLocalStack({ dataDir, apiPort: 0, lambdaFunctions: '{"org-a":["not-an-arn"]}' }),
      ).rejects.toThrow(/LAMBDA_FUNCTIONS\.org-a/);
      // An org key that no identity can have (a#b would share org a's keys) is refused the same way.
      const arns = '["arn:aws:lambda:us-east-1:123456789012:function:x"]';
      for (const org of ['a#b', 'has space', '']) {
        await expect(
          startLocalStack({ dataDir, apiPort: 0, lambdaFunctions: `{${JSON.stringify(org)}:${arns}}` }),
        ).rejects.toThrow(`LAMBDA_FUNCTIONS key ${JSON.stringify(org)} is not an organization id`);
      }
      expect(await readdir(dataDir)).toEqual([]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
