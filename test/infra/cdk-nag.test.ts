// cdk-nag v3 runs as a CDK policy validation plugin: unacknowledged errors fail `cdk synth` (bundling.test.ts
// runs that full synthesis). These tests list findings directly (the pack's validateScope), so a new
// finding, error or warning, names itself; acknowledgements are made with Validations.of(...).acknowledge
// at the narrowest construct, each with its reason, in lib/.
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../lib/app';
import { synthesize } from './synth';

type Built = Pick<ReturnType<typeof synthesize>, 'app' | 'nag'>;

const findings = (built: Built) =>
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
      alertEmailSeverities: 'CRITICAL,WARNING,INFO',
      jwtIssuer: 'https://issuer.example.com/pool',
      jwtAudience: 'client-id',
      llmApiKeySecret: 'stepwise/llm-api-key',
      llmBaseUrl: 'https://llm.example.com/v1',
      lambdaFunctions: '{"org-a":["arn:aws:lambda:eu-west-1:123456789012:function:enrich"]}',
      workerTypes: [{ name: 'research', orgs: [] }],
    });
    expect(findings(configured)).toEqual([]);
  });

  it('reports a new resource that breaks a rule (the check is live, not vacuous)', () => {
    // A separate app: the cached stacks of synthesize() must not be mutated.
    const built = buildApp({ context: { 'aws:cdk:bundling-stacks': [] }, env: {} });
    new sqs.Queue(built.stack, 'UnencryptedQueue', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    expect(findings(built)).toEqual(
      expect.arrayContaining([
        'error AwsSolutions-SQS2 Stepwise/UnencryptedQueue/Resource',
        'error AwsSolutions-SQS4 Stepwise/UnencryptedQueue/Resource',
      ]),
    );
  });
});
