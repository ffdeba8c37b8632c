// Every function's log level and debug sampling come from context, checked at synth.
import { describe, expect, it } from 'vitest';
import { FUNCTIONS } from '../../functions/shared/resources';
import { synthesize } from './synth';

type FunctionResource = { Properties: { Environment?: { Variables?: Record<string, unknown> } } };

function functionEnvironments(context: Record<string, unknown>) {
  const resources = synthesize(context).template.findResources('AWS::Lambda::Function') as Record<
    string,
    FunctionResource
  >;
  return Object.values(resources)
    .map((resource) => resource.Properties.Environment?.Variables ?? {})
    .filter((variables) => variables.POWERTOOLS_SERVICE_NAME === 'stepwise');
}

describe('log settings', () => {
  it('logs at INFO without sampling by default, on every function', () => {
    const environments = functionEnvironments({});
    expect(environments).toHaveLength(Object.keys(FUNCTIONS).length);
    for (const variables of environments) {
      expect(variables.POWERTOOLS_LOG_LEVEL).toBe('INFO');
      expect(variables).not.toHaveProperty('POWERTOOLS_LOGGER_SAMPLE_RATE');
    }
  });

  it('takes logLevel and logSampleRate from context', () => {
    for (const variables of functionEnvironments({ logLevel: 'debug', logSampleRate: '0.05' })) {
      expect(variables).toMatchObject({
        POWERTOOLS_LOG_LEVEL: 'DEBUG',
        POWERTOOLS_LOGGER_SAMPLE_RATE: '0.05',
      });
    }
  });

  it('refuses an unknown level or a rate outside 0-1 at synth', () => {
    expect(() => synthesize({ logLevel: 'LOUD' })).toThrow(/logLevel must be one of/);
    expect(() => synthesize({ logSampleRate: '1.5' })).toThrow(/logSampleRate must be a number from 0 to 1/);
  });
});
