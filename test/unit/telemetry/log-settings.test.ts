import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../functions/shared/config';
import { logEnvironment, parseLogSettings } from '../../../functions/shared/telemetry/log-settings';

const names = { level: 'LEVEL_VAR', sampleRate: 'RATE_VAR' };

describe('parseLogSettings', () => {
  it('defaults to INFO without sampling', () => {
    expect(parseLogSettings({}, names)).toEqual({ level: 'INFO', sampleRate: 0 });
    expect(logEnvironment(parseLogSettings({}, names))).toEqual({ POWERTOOLS_LOG_LEVEL: 'INFO' });
  });

  it('accepts a level in any case and a rate as text or number', () => {
    const settings = parseLogSettings({ level: 'debug', sampleRate: '0.1' }, names);
    expect(settings).toEqual({ level: 'DEBUG', sampleRate: 0.1 });
    expect(logEnvironment(settings)).toEqual({
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      POWERTOOLS_LOGGER_SAMPLE_RATE: '0.1',
    });
  });

  it('refuses an unknown level, naming the setting', () => {
    expect(() => parseLogSettings({ level: 'LOUD' }, names)).toThrow(ConfigurationError);
    expect(() => parseLogSettings({ level: 'LOUD' }, names)).toThrow(/LEVEL_VAR must be one of/);
  });

  it('refuses a rate outside 0-1, naming the setting', () => {
    expect(() => parseLogSettings({ sampleRate: '2' }, names)).toThrow(
      /RATE_VAR must be a number from 0 to 1/,
    );
    expect(() => parseLogSettings({ sampleRate: 'half' }, names)).toThrow(/RATE_VAR/);
  });
});
