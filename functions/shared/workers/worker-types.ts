// Worker types: the kinds of external worker a deployment runs (`agent` steps name one). Declared once per
// deployment as `workerTypes` — CDK context (cdk.json) or, on the local stack, the same context unless the
// `workerTypes` option or STEPWISE_WORKER_TYPES overrides it — and parsed here for both. Each type gets a
// queue (and DLQ) of its own, named after it: the Lambdas receive the declaration as WORKER_TYPES and the
// start every queue URL shares as WORKER_QUEUE_URL_PREFIX. Deriving the URLs keeps each function's
// environment (4 KB in all) from growing by two queue URLs per type, which capped a deployment at ~5 types.
import { isOrgId, ORG_ID_RULE } from '../auth/identity';
import { ConfigurationError } from '../config';
import { workerQueueNames, workerQueueShape } from '../resources';
import { SLUG } from '../workflows/slug';

/** One declared type: `orgs` lists the organizations that may use it; empty means every organization. */
export interface WorkerTypeDeclaration {
  readonly name: string;
  readonly orgs: readonly string[];
}

/** A declared type as the Lambdas see it: with the URLs of its queue and dead-letter queue. */
export interface WorkerType extends WorkerTypeDeclaration {
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
}

/** Type name -> its queues and organizations. */
export type WorkerTypes = Readonly<Record<string, WorkerType>>;

export const WORKER_TYPES_ENV = 'WORKER_TYPES';
export const WORKER_QUEUE_URL_PREFIX_ENV = 'WORKER_QUEUE_URL_PREFIX';

/** A declaration that is not a list of `{name, orgs}` with slug names, each once; names where it came from. */
export class InvalidWorkerTypes extends ConfigurationError {
  override name = 'InvalidWorkerTypes';
}

/**
 * At most this many types per deployment. Each is six CloudFormation resources (a queue and a DLQ, their
 * two TLS-only policies, a managed policy, the alarm on its DLQ); the stack has about 280 without any, of
 * the 500 a stack may hold, so 30 leave room for what the deployment adds.
 */
export const MAX_WORKER_TYPES = 30;

/**
 * Parses a declaration: a JSON string or the parsed value (cdk.json context is already parsed), a list of
 * `{ name, orgs? }`. `source` names where it came from in the error (`workerTypes`, STEPWISE_WORKER_TYPES).
 */
export function parseWorkerTypes(raw: unknown, source: string): WorkerTypeDeclaration[] {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw new InvalidWorkerTypes(`${source} is not JSON: ${(error as Error).message}`);
    }
  }
  if (!Array.isArray(value)) {
    throw new InvalidWorkerTypes(`${source} must be a list of {"name": "<slug>", "orgs": ["<orgId>"]}`);
  }
  if (value.length > MAX_WORKER_TYPES) {
    throw new InvalidWorkerTypes(
      `${source} declares ${value.length} worker types; at most ${MAX_WORKER_TYPES}`,
    );
  }
  const seen = new Set<string>();
  const declarations = value.map((entry: unknown, index) => {
    const at = `${source}[${index}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw new InvalidWorkerTypes(`${at} must be an object {"name": "<slug>", "orgs": ["<orgId>"]}`);
    }
    const { name, orgs = [], ...rest } = entry as Record<string, unknown>;
    const unknown = Object.keys(rest);
    if (unknown.length > 0) throw new InvalidWorkerTypes(`${at}: unknown field (${unknown.join(', ')})`);
    if (typeof name !== 'string' || !SLUG.test(name)) {
      throw new InvalidWorkerTypes(
        `${at}.name must be a slug: lowercase letters, digits, _ or -, at most 64 characters`,
      );
    }
    // a-b and a_b would share their queues' construct ids.
    const id = workerQueueShape(name).id;
    if (seen.has(id)) {
      throw new InvalidWorkerTypes(
        `${at}.name: worker type ${name} is declared twice (or as a variant with - for _)`,
      );
    }
    seen.add(id);
    if (!Array.isArray(orgs) || orgs.some((org) => typeof org !== 'string' || !isOrgId(org))) {
      throw new InvalidWorkerTypes(
        `${at}.orgs must be a list of organization ids (${ORG_ID_RULE}; empty: every organization)`,
      );
    }
    return { name, orgs: [...new Set(orgs as string[])] };
  });
  // A type's queue is <prefix><type> and its DLQ <prefix><type>-dlq (workerQueueNames): a type named
  // another's name and -dlq would share that DLQ's name, which CloudFormation and SQS refuse.
  const names = new Set(declarations.map((declaration) => declaration.name));
  declarations.forEach(({ name }, index) => {
    const owner = name.endsWith('-dlq') ? name.slice(0, -'-dlq'.length) : undefined;
    if (owner !== undefined && names.has(owner)) {
      throw new InvalidWorkerTypes(
        `${source}[${index}].name: worker type ${name}'s queue would be named as the dead-letter queue of ${owner}`,
      );
    }
  });
  return declarations;
}

/** The WORKER_TYPES value of the Lambdas: the declarations, `orgs` left out where it is every org. */
export function workerTypesEnvironment(declarations: readonly WorkerTypeDeclaration[]): string {
  return JSON.stringify(declarations.map(({ name, orgs }) => (orgs.length > 0 ? { name, orgs } : { name })));
}

/**
 * WORKER_TYPES with WORKER_QUEUE_URL_PREFIX, read at load time; unset means no worker types (no `agent`
 * step can be registered).
 */
export function loadWorkerTypes(env: NodeJS.ProcessEnv = process.env): WorkerTypes {
  const raw = env[WORKER_TYPES_ENV];
  if (raw === undefined || raw === '') return {};
  const declarations = parseWorkerTypes(raw, WORKER_TYPES_ENV);
  const prefix = env[WORKER_QUEUE_URL_PREFIX_ENV];
  if (declarations.length > 0 && !prefix) {
    throw new InvalidWorkerTypes(
      `${WORKER_QUEUE_URL_PREFIX_ENV} is missing: the worker queues' URLs start with it`,
    );
  }
  const types: Record<string, WorkerType> = {};
  for (const declaration of declarations) {
    const names = workerQueueNames(prefix ?? '', declaration.name);
    types[declaration.name] = { ...declaration, queueUrl: names.queue, deadLetterQueueUrl: names.deadLetter };
  }
  return types;
}

/** What the names of the worker types' queues start with: WORKER_QUEUE_URL_PREFIX's last segment. */
export function loadWorkerQueueNamePrefix(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const prefix = env[WORKER_QUEUE_URL_PREFIX_ENV];
  return prefix ? prefix.slice(prefix.lastIndexOf('/') + 1) || undefined : undefined;
}

/** Whether `orgId` may use the type (an empty `orgs` opens it to every organization). */
export function isOpenTo(type: WorkerTypeDeclaration, orgId: string): boolean {
  return type.orgs.length === 0 || type.orgs.includes(orgId);
}
