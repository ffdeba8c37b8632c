// `npm start`: the embedded local stack in the foreground until Ctrl-C or SIGTERM. It takes no arguments
// but --help (USAGE); its settings are environment variables, each checked before anything starts.
import './powertools-environment';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigurationError, httpUrlSetting } from '../functions/shared/config';
import { parseLogSettings } from '../functions/shared/telemetry/log-settings';
import { ConsoleBuildError, ensureConsoleBuilt } from './console-build';
import { DEV_CREDENTIALS_FILE } from './dev-credentials';
import { ENDPOINTS_FILE, type LocalStack, startLocalStack } from './stack';
import {
  DataDirInUseError,
  type LocalService,
  PortInUseError,
  StartupConflictError,
} from './startup-conflicts';

const projectRoot = fileURLToPath(new URL('..', import.meta.url));

const USAGE = `Usage: npm start [-- --help]

Runs the stepwise local stack in the foreground until Ctrl-C. Settings are environment variables:
  STEPWISE_PORT                       API port (default 3000; 0 picks a free one)
  STEPWISE_DATA_DIR                   data folder (default .stepwise/ in the project)
  STEPWISE_DYNAMODB_PORT, STEPWISE_MESSAGING_PORT, STEPWISE_STEPFUNCTIONS_PORT
                                      emulator ports (default: the last run's when free, else free ones)
  STEPWISE_LOG_LEVEL (or LOG_LEVEL)   handler log level (default INFO)
  POWERTOOLS_LOGGER_SAMPLE_RATE       share of invocations (0-1) logged at DEBUG whatever the level
  STEPWISE_LLM_BASE_URL, LLM_API_KEY  OpenAI-compatible endpoint for llm steps (default: a local fake)
  STEPWISE_LLM_DEFAULT_MODEL          model of an llm step that names none (default: the fake's, fake-llm-1;
                                      none with STEPWISE_LLM_BASE_URL)
  LLM_PRICES                          JSON prices laid over the built-in price table
  OUTBOUND_ALLOWED_HOSTS              hosts http steps and alert channels may reach on loopback/private addresses
  LAMBDA_FUNCTIONS                    JSON org id -> function ARNs lambda steps may invoke
  STEPWISE_WORKER_TYPES               JSON [{"name", "orgs"}] (default: cdk.json's workerTypes)
  STEPWISE_WORKER_DEAD_AFTER_SECONDS  seconds without a heartbeat before a worker is DEAD (default 300;
                                      at least twice STEPWISE_WORKER_HEARTBEAT_SECONDS)
  STEPWISE_WORKER_HEARTBEAT_SECONDS   seconds between the workers' heartbeats (default 30)
  STEPWISE_SWEEP_SECONDS              period of the sweeper's timer (default 5)
  STEPWISE_RETAINED_EXECUTIONS        ended Step Functions executions kept (default 10000)
The README's Configuration section says more.`;

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--help' || args[0] === '-h')) {
  console.log(USAGE);
  process.exit(0);
}
if (args.length > 0) {
  console.error(
    `stepwise: npm start takes no arguments (got ${args.join(' ')}); its settings are environment variables, listed by npm start -- --help`,
  );
  process.exit(1);
}

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(value) || value < 0 || value > 65_535) {
    throw new ConfigurationError(`${name} must be a port number (0-65535), got "${raw}"`);
  }
  return value;
}

/** The log level, checked under the variable it came from (STEPWISE_LOG_LEVEL, else LOG_LEVEL). */
function logLevel(): string {
  const variable = process.env.STEPWISE_LOG_LEVEL ? 'STEPWISE_LOG_LEVEL' : 'LOG_LEVEL';
  const { level } = parseLogSettings(
    { level: process.env[variable] || 'INFO' },
    { level: variable, sampleRate: 'POWERTOOLS_LOGGER_SAMPLE_RATE' },
  );
  return level;
}

const PORT_VARIABLES: Record<LocalService, string> = {
  api: 'STEPWISE_PORT',
  dynamodb: 'STEPWISE_DYNAMODB_PORT',
  messaging: 'STEPWISE_MESSAGING_PORT',
  stepfunctions: 'STEPWISE_STEPFUNCTIONS_PORT',
};

/** One line saying what is in the way and what to do about it. */
function conflictLine(error: StartupConflictError): string {
  if (error instanceof PortInUseError) {
    const variable = PORT_VARIABLES[error.service];
    return `stepwise: port ${error.port} (${variable}) is already in use. Stop what listens on it, or set ${variable} to another port (0 picks a free one).`;
  }
  if (error instanceof DataDirInUseError) {
    return `stepwise: data folder ${error.dataDir} is in use by another running stack (pid ${error.holderPid}). Stop that stack, or set STEPWISE_DATA_DIR to another folder.`;
  }
  return `stepwise: ${error.message}`;
}

const dataDir = resolve(process.env.STEPWISE_DATA_DIR || resolve(projectRoot, '.stepwise'));
let stack: LocalStack;
try {
  const apiPort = port('STEPWISE_PORT', 3000);
  const ports = {
    dynamodb: port('STEPWISE_DYNAMODB_PORT', 0),
    messaging: port('STEPWISE_MESSAGING_PORT', 0),
    stepfunctions: port('STEPWISE_STEPFUNCTIONS_PORT', 0),
  };
  const level = logLevel();
  const llmBaseUrl = httpUrlSetting(process.env.STEPWISE_LLM_BASE_URL, 'STEPWISE_LLM_BASE_URL');
  await ensureConsoleBuilt({ log: (message) => console.log(message) });
  stack = await startLocalStack({
    dataDir,
    apiPort,
    ports,
    logLevel: level,
    llmBaseUrl,
    llmDefaultModel: process.env.STEPWISE_LLM_DEFAULT_MODEL || undefined,
  });
} catch (error) {
  // What the user can fix (a port, a folder, a setting) is one line; anything else is a bug: a stack trace.
  if (error instanceof StartupConflictError) console.error(conflictLine(error));
  else if (error instanceof ConfigurationError || error instanceof ConsoleBuildError)
    console.error(`stepwise: ${error.message}`);
  else throw error;
  process.exit(1);
}

// Before the ready line: whoever waits for it (a test, a supervisor) may signal at once, and a signal with
// no handler yet would kill the process without stopping the stack.
let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal} received, stopping...`);
  try {
    await stack.stop();
    console.log('stopped');
    process.exit(0);
  } catch (error) {
    console.error('failed to stop cleanly', error);
    process.exit(1);
  }
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

const { endpoints, credentials } = stack;
console.log(`stepwise local stack is up (data in ${dataDir})

  API             ${endpoints.api}          (health: ${endpoints.api}/health)
  Console         ${endpoints.api}/console/   (sign in with an API key below)
  Live updates    ${endpoints.live}   (WebSocket; subprotocols stepwise.v1, bearer.<base64url key>)
  DynamoDB        ${endpoints.dynamodb}   table ${endpoints.tableName}
  SQS + SNS       ${endpoints.sqs}
  Step Functions  ${endpoints.stepfunctions}

Organization    ${credentials.orgId}, OWNER API key: ${credentials.apiKey}
Operator        OPERATOR API key: ${credentials.operatorApiKey}   (every organization, /admin routes)
                (send it as "Authorization: Bearer <key>"; saved in ${resolve(dataDir, DEV_CREDENTIALS_FILE)})
Worker queues   ${
  Object.entries(endpoints.workerQueueUrls)
    .map(([type, url]) => `${type}: ${url}`)
    .join('\n                ') || 'none (no worker types declared)'
}
Workers         npm run stepwise -- worker <module> --type <type>   (it reads the file below); an SDK worker
                of your own: STEPWISE_TABLE=${endpoints.tableName} STEPWISE_AGENT_REPORTS_FUNCTION=${endpoints.agentReportsFunction}
                STEPWISE_WORKER_QUEUE_URL=<its type's queue> and the file's AWS_* environment
Endpoints and SDK environment: ${resolve(dataDir, ENDPOINTS_FILE)}${
  stack.movedEndpoints.length > 0
    ? `
Moved           ${stack.movedEndpoints.join(', ')}: the last run's port was in use; restart any
                stepwise worker started before this run (it reads endpoints.json once)`
    : ''
}
Press Ctrl-C to stop.`);
