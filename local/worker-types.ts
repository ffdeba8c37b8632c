// The local stack's worker types: the `workerTypes` option, else STEPWISE_WORKER_TYPES (JSON), else the
// `workerTypes` context of cdk.json, the same declaration `cdk deploy` reads.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseWorkerTypes, type WorkerTypeDeclaration } from '../functions/shared/workers/worker-types';

export const WORKER_TYPES_VARIABLE = 'STEPWISE_WORKER_TYPES';
const CDK_JSON = fileURLToPath(new URL('../cdk.json', import.meta.url));

export function localWorkerTypes(
  option: string | readonly WorkerTypeDeclaration[] | undefined,
  env: NodeJS.ProcessEnv = process.env,
  cdkJson = CDK_JSON,
): WorkerTypeDeclaration[] {
  if (option !== undefined) return parseWorkerTypes(option, 'workerTypes');
  const variable = env[WORKER_TYPES_VARIABLE];
  if (variable) return parseWorkerTypes(variable, WORKER_TYPES_VARIABLE);
  const context = (JSON.parse(readFileSync(cdkJson, 'utf8')) as { context?: Record<string, unknown> })
    .context;
  return context?.workerTypes === undefined
    ? []
    : parseWorkerTypes(context.workerTypes, 'cdk.json context.workerTypes');
}
