// The deployment's outbound allowlist reaches the step runner only from explicit configuration.
import { describe, expect, it } from 'vitest';
import { logicalId, type Synthesized, synthesize } from './synth';

function stepRunnerVariables(built: Synthesized): Record<string, unknown> {
  const resource =
    built.template.findResources('AWS::Lambda::Function')[
      logicalId(built.stack, built.stack.functions.stepRunner)
    ];
  return resource?.Properties.Environment.Variables ?? {};
}

describe('outbound allowlist', () => {
  it('allows no host by default', () => {
    expect(stepRunnerVariables(synthesize())).not.toHaveProperty('OUTBOUND_ALLOWED_HOSTS');
  });

  it('passes the outboundAllowedHosts context to the step runner as OUTBOUND_ALLOWED_HOSTS', () => {
    const built = synthesize({ outboundAllowedHosts: 'internal.example.com, 10.0.0.5:8080' });
    expect(stepRunnerVariables(built).OUTBOUND_ALLOWED_HOSTS).toBe('internal.example.com,10.0.0.5:8080');
  });

  it('fails the synth on a malformed entry, naming the context key', () => {
    expect(() => synthesize({ outboundAllowedHosts: 'https://internal.example.com/' })).toThrow(
      'outboundAllowedHosts: "https://internal.example.com/" is not a host or host:port',
    );
  });
});
