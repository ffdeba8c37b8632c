// Where alert links point on AWS: the functions that raise alerts (sweeper, workers) get the API stage's URL,
// and the console's base URL when the `consoleUrl` context names one; a malformed one fails the synth.
import { describe, expect, it } from 'vitest';
import { logicalId, type Synthesized, synthesize } from './synth';

const variables = (built: Synthesized, name: 'sweeper' | 'workers' | 'api' | 'stepRunner') =>
  built.template.findResources('AWS::Lambda::Function')[logicalId(built.stack, built.stack.functions[name])]
    ?.Properties.Environment.Variables as Record<string, unknown>;

describe('alert links', () => {
  it.each(['sweeper', 'workers'] as const)(
    '%s gets the API stage URL as API_BASE_URL, and no console by default',
    (name) => {
      const built = synthesize();
      const apiId = logicalId(built.stack, built.stack.api.httpApi);
      const value = JSON.stringify(variables(built, name).API_BASE_URL);
      expect(value).toContain(apiId);
      expect(value).toContain('execute-api');
      expect(variables(built, name)).not.toHaveProperty('CONSOLE_BASE_URL');
    },
  );

  it('passes the consoleUrl context as CONSOLE_BASE_URL, and refuses one that is no http(s) URL', () => {
    const built = synthesize({ consoleUrl: 'https://console.example.com/stepwise/' });
    expect(variables(built, 'sweeper').CONSOLE_BASE_URL).toBe('https://console.example.com/stepwise');
    // The api raises no alert (the worker sweep it ran moved to the workers function).
    for (const name of ['stepRunner', 'api'] as const)
      expect(variables(built, name)).not.toHaveProperty('API_BASE_URL');
    expect(() => synthesize({ consoleUrl: 'console.example.com' })).toThrow(
      /consoleUrl must be an http\(s\) URL/,
    );
  });
});
