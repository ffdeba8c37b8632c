// Environment configuration, read once at load time. A missing variable fails the cold start with its
// name rather than surfacing later as an undefined somewhere in domain code.

export class ConfigurationError extends Error {
  override name = 'ConfigurationError';
}

/**
 * An http(s) URL setting as given, or undefined when unset: anything else (no scheme, `ftp:`) would fail
 * every call made with it, so it fails the start or the synth, naming the setting.
 */
export function httpUrlSetting(value: string | undefined, name: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
    throw new ConfigurationError(`${name} must be an http:// or https:// URL, got "${value}"`);
  }
  return value;
}

export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new ConfigurationError(`Missing required environment variable ${name}`);
  }
  return value;
}

/** The resources every stepwise Lambda is wired to (lib/stepwise-stack.ts sets them; so does local/). */
export interface ResourceConfig {
  readonly tableName: string;
  readonly agentStepsQueueUrl: string;
  readonly taskEventsDlqUrl: string;
  readonly topicArns: { readonly critical: string; readonly warning: string; readonly info: string };
}

export function loadResourceConfig(env: NodeJS.ProcessEnv = process.env): ResourceConfig {
  return {
    tableName: requireEnv('TABLE_NAME', env),
    agentStepsQueueUrl: requireEnv('AGENT_STEPS_QUEUE_URL', env),
    taskEventsDlqUrl: requireEnv('TASK_EVENTS_DLQ_URL', env),
    topicArns: {
      critical: requireEnv('CRITICAL_TOPIC_ARN', env),
      warning: requireEnv('WARNING_TOPIC_ARN', env),
      info: requireEnv('INFO_TOPIC_ARN', env),
    },
  };
}
