// The `tracing` context: off by default (no X-Ray, and POWERTOOLS_TRACE_ENABLED=false so the handlers never
// load the Tracer), on with `-c tracing=true`; anything else fails the synth.
import { describe, expect, it } from 'vitest';
import { FUNCTIONS, type FunctionName } from '../../functions/shared/resources';
import { logicalId, type Synthesized, synthesize } from './synth';

const names = Object.keys(FUNCTIONS) as FunctionName[];

function lambdaProperties(built: Synthesized, name: FunctionName) {
  const resource =
    built.template.findResources('AWS::Lambda::Function')[
      logicalId(built.stack, built.stack.functions[name])
    ];
  return resource?.Properties as {
    TracingConfig?: { Mode: string };
    Environment: { Variables: Record<string, unknown> };
  };
}

describe('tracing', () => {
  it('is off by default: no active tracing, and the Tracer is switched off in every function', () => {
    const built = synthesize();
    for (const name of names) {
      const properties = lambdaProperties(built, name);
      expect(properties.TracingConfig, name).toBeUndefined();
      expect(properties.Environment.Variables.POWERTOOLS_TRACE_ENABLED, name).toBe('false');
    }
  });

  it('turns on active tracing and the Tracer in every function with tracing=true', () => {
    const built = synthesize({ tracing: 'true' });
    for (const name of names) {
      const properties = lambdaProperties(built, name);
      expect(properties.TracingConfig, name).toEqual({ Mode: 'Active' });
      expect(properties.Environment.Variables.POWERTOOLS_TRACE_ENABLED, name).toBeUndefined();
    }
  });

  it('fails the synth on a value other than true or false, naming the setting', () => {
    expect(() => synthesize({ tracing: 'yes' })).toThrow(/tracing must be true or false/);
  });
});
