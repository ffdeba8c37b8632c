// cdk-nag v3 runs as a CDK policy validation plugin: unacknowledged errors fail `cdk synth`. These tests
// list findings directly (the pack's validateScope), so a new finding, error or warning, names itself.
import { describe, expect, it } from 'vitest';
import { synthesize } from './synth';

const findings = (built: ReturnType<typeof synthesize>) =>
  built.nag
    .validateScope(built.app)
    .violations.flatMap((violation) =>
      violation.violatingResources.map(
        (resource) => `${violation.severity} ${violation.ruleName} ${resource.constructPath}`,
      ),
    );

describe('cdk-nag AwsSolutions', () => {
  it('has no unacknowledged error or warning', () => {
    expect(findings(synthesize())).toEqual([]);
  });

  it('has none with every optional setting in context', () => {
    const configured = synthesize({
      alertEmails: 'oncall@example.com',
      jwtIssuer: 'https://issuer.example.com/pool',
      jwtAudience: 'client-id',
      llmApiKeySecret: 'stepwise/llm-api-key',
      llmBaseUrl: 'https://llm.example.com/v1',
    });
    expect(findings(configured)).toEqual([]);
  });
});
