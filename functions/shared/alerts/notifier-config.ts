// The notifier's configuration, read once at load: where to log deliveries and park failures, which
// topic means which severity, the outbound allowlist channel URLs share with `http` steps, and whether
// to print each alert (the local stack's console channel).
import { type AllowedHost, loadAllowedHosts } from '../actions/outbound/allowed-hosts';
import { loadResourceConfig, requireEnv } from '../config';
import type { Severity } from '../resources';

export const ALERT_CONSOLE_ENV = 'ALERT_CONSOLE';

export interface NotifierConfig {
  readonly tableName: string;
  readonly deliveriesDlqUrl: string;
  readonly severityOfTopic: (topicArn: string) => Severity;
  readonly allowedHosts: readonly AllowedHost[];
  readonly console: boolean;
}

export function loadNotifierConfig(env: NodeJS.ProcessEnv = process.env): NotifierConfig {
  const { tableName, topicArns } = loadResourceConfig(env);
  const byArn = new Map<string, Severity>([
    [topicArns.critical, 'CRITICAL'],
    [topicArns.warning, 'WARNING'],
    [topicArns.info, 'INFO'],
  ]);
  return {
    tableName,
    deliveriesDlqUrl: requireEnv('ALERT_DELIVERIES_DLQ_URL', env),
    // A topic we do not know (none should reach us) is treated as the most urgent, never dropped.
    severityOfTopic: (topicArn) => byArn.get(topicArn) ?? 'CRITICAL',
    allowedHosts: loadAllowedHosts(env),
    console: env[ALERT_CONSOLE_ENV] === 'true',
  };
}
