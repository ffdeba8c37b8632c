// Where alert links point, from the environment: API_BASE_URL (the HTTP API's base URL; CDK sets it from
// the stage, the local stack from its listening address) and CONSOLE_BASE_URL when a console is deployed.
import { requireEnv } from '../config';
import type { AlertLinkBase } from './alert';

export const API_BASE_URL_ENV = 'API_BASE_URL';
export const CONSOLE_BASE_URL_ENV = 'CONSOLE_BASE_URL';

export function loadAlertLinkBase(env: NodeJS.ProcessEnv = process.env): AlertLinkBase {
  const consoleBaseUrl = env[CONSOLE_BASE_URL_ENV];
  return {
    apiBaseUrl: requireEnv(API_BASE_URL_ENV, env),
    ...(consoleBaseUrl && { consoleBaseUrl }),
  };
}
