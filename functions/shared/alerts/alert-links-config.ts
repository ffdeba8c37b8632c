// Where alert links point, from the environment: API_BASE_URL (the HTTP API's base URL; CDK sets it from
// the stage, the local stack from its listening address) and CONSOLE_BASE_URL when a console is deployed.
import { ConfigurationError, requireEnv } from '../config';
import type { AlertLinkBase } from './alert';

export const API_BASE_URL_ENV = 'API_BASE_URL';
export const CONSOLE_BASE_URL_ENV = 'CONSOLE_BASE_URL';

export function loadAlertLinkBase(env: NodeJS.ProcessEnv = process.env): AlertLinkBase {
  const consoleBaseUrl = env[CONSOLE_BASE_URL_ENV];
  return {
    apiBaseUrl: requireEnv(API_BASE_URL_ENV, env),
    ...(consoleBaseUrl && { consoleBaseUrl: parseConsoleUrl(consoleBaseUrl, CONSOLE_BASE_URL_ENV) }),
  };
}

/** An http(s) URL, without a trailing slash; anything else fails the synth (or the cold start) naming it. */
export function parseConsoleUrl(value: string, name = 'consoleUrl'): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigurationError(`${name} must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigurationError(`${name} must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
  return value.replace(/\/+$/, '');
}
