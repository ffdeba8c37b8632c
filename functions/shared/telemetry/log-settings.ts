// The handlers' log level and debug sampling rate, as Powertools Logger reads them
// (POWERTOOLS_LOG_LEVEL, POWERTOOLS_LOGGER_SAMPLE_RATE). CDK sets them from context and the local stack
// from its environment; both check them here first, so a typo fails the synth or `npm start` with the
// setting's name instead of being silently ignored by the logger (which falls back to INFO).
import { ConfigurationError } from '../config';

export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const DEFAULT_LOG_LEVEL: LogLevel = 'INFO';

export interface LogSettings {
  readonly level: LogLevel;
  /** Share of invocations (0-1) logged at DEBUG whatever the level; 0 turns sampling off. */
  readonly sampleRate: number;
}

export function parseLogSettings(
  raw: { level?: string; sampleRate?: string | number },
  names: { level: string; sampleRate: string },
): LogSettings {
  const level = (raw.level === undefined || raw.level === '' ? DEFAULT_LOG_LEVEL : raw.level).toUpperCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new ConfigurationError(
      `${names.level} must be one of ${LOG_LEVELS.join(', ')}, got "${raw.level}"`,
    );
  }
  const sampleRate = raw.sampleRate === undefined || raw.sampleRate === '' ? 0 : Number(raw.sampleRate);
  if (!Number.isFinite(sampleRate) || sampleRate < 0 || sampleRate > 1) {
    throw new ConfigurationError(`${names.sampleRate} must be a number from 0 to 1, got "${raw.sampleRate}"`);
  }
  return { level: level as LogLevel, sampleRate };
}

/** The Lambda environment variables that carry the settings. */
export function logEnvironment(settings: LogSettings): Record<string, string> {
  return {
    POWERTOOLS_LOG_LEVEL: settings.level,
    ...(settings.sampleRate > 0 && { POWERTOOLS_LOGGER_SAMPLE_RATE: String(settings.sampleRate) }),
  };
}
