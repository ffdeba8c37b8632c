// Registering a workflow version: validate, compile to ASL, create its state machine, store the version.
// A version is immutable: registering the same definition again changes nothing, a different definition
// under an existing version is a conflict.
//
// The machine's name is derived from the deployment's prefix and a hash of (org, workflow, version)
// (state-machine-name.ts), and the name is claimed in the ownership store before the machine is created.
// An existing machine is updated only when that claim names the caller's own (org, workflow, version) and
// is old enough that the registration which made it has stopped (REGISTRATION_HOLD_MS; one caller takes it
// over): a machine left by a registration that failed before storing its version. A younger claim is a
// registration of the version under way: the caller waits for the version it stores (200 for the same
// definition, 409 for another). Anything else is a 409, never an update of somebody else's machine.
import { isDeepStrictEqual } from 'node:util';
import { describeAllowed, isLambdaAllowed, type LambdaAllowlist } from '../actions/lambda-allowlist';
import { ConflictError, type ErrorDetail, ValidationError } from '../http/errors';
import { FUNCTIONS, outlivesInvocationMs } from '../resources';
import { isOpenTo, type WorkerTypes } from '../workers/worker-types';
import { compileWorkflow } from '../workflows/compile-workflow';
import type { Step, WorkflowDefinition } from '../workflows/definition';
import { validateWorkflow } from '../workflows/validate-workflow';
import { refusedDefinitionError } from './refused-definition';
import { stateMachineName } from './state-machine-name';
import { type StateMachineOwner, type StateMachineOwnership, sameOwner } from './state-machine-ownership';
import { StateMachineDefinitionRefused, type StateMachines } from './state-machines';
import type { WorkflowVersion } from './workflow-store';

/** Step Functions' hard quota on a state machine definition (1 MB), checked before anything is written. */
export const MAX_DEFINITION_BYTES = 1024 * 1024;

/** The versions registration reads and writes (WorkflowStore on DynamoDB). */
export interface WorkflowVersions {
  getVersion(orgId: string, workflowId: string, version?: number): Promise<WorkflowVersion | undefined>;
  /** Stores a new version; false when that version already exists. */
  putVersion(version: WorkflowVersion): Promise<boolean>;
}

export interface WorkflowRegistryDeps {
  readonly store: WorkflowVersions;
  readonly ownership: StateMachineOwnership;
  readonly stateMachines: StateMachines;
  /** This deployment's state machine name prefix (STATE_MACHINE_PREFIX). */
  readonly stateMachinePrefix: string;
  readonly stepRunnerArn: string;
  /** The functions each org's `lambda` steps may invoke (LAMBDA_FUNCTIONS). */
  readonly lambdaFunctions: LambdaAllowlist;
  /**
   * The worker types `agent` steps may name, with their queues (WORKER_TYPES).
   * @default none: no `agent` step can be registered
   */
  readonly workerTypes?: WorkerTypes;
  readonly now?: () => Date;
  /** Waits between reads of a version another registration is storing (tests pass a fake). */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface Registration {
  readonly created: boolean;
  readonly workflow: WorkflowVersion;
}

export async function registerWorkflow(
  orgId: string,
  raw: unknown,
  deps: WorkflowRegistryDeps,
): Promise<Registration> {
  const result = validateWorkflow(raw);
  if (!result.ok) {
    throw new ValidationError(`Invalid workflow definition: ${result.errors[0]?.message}`, result.errors);
  }
  const { definition } = result;
  const refused = [
    ...refusedLambdaSteps(definition, orgId, deps.lambdaFunctions),
    ...refusedAgentSteps(definition, orgId, deps.workerTypes ?? {}),
  ];
  if (refused.length > 0) {
    throw new ValidationError(`Invalid workflow definition: ${refused[0]?.message}`, refused);
  }
  const existing = await deps.store.getVersion(orgId, definition.id, definition.version);
  if (existing) {
    if (isDeepStrictEqual(existing.definition, definition)) return { created: false, workflow: existing };
    throw new ConflictError(
      `Workflow ${definition.id} version ${definition.version} already exists with a different definition; register it under a new version`,
      [{ field: 'version', message: 'already registered' }],
    );
  }
  const asl = compile(definition, deps);
  const aslBytes = Buffer.byteLength(asl);
  if (aslBytes > MAX_DEFINITION_BYTES) {
    const message = `steps: the compiled state machine is ${aslBytes} bytes, over Step Functions' ${MAX_DEFINITION_BYTES}-byte definition limit; use fewer steps (each compiles to about 2 KB)`;
    throw new ValidationError(`Invalid workflow definition: ${message}`, [
      { field: 'steps', rule: 'max-definition-size', message },
    ]);
  }
  const now = (deps.now ?? (() => new Date()))().toISOString();
  const owner: StateMachineOwner = { orgId, workflowId: definition.id, version: definition.version };
  const name = stateMachineName(deps.stateMachinePrefix, orgId, definition.id, definition.version);
  const own = await createOwnStateMachine(deps, name, owner, asl, now).catch((error: unknown) => {
    if (error instanceof StateMachineDefinitionRefused)
      throw refusedDefinitionError(definition, error.message);
    throw error;
  });
  // Another registration of this version holds the name: it alone creates (or updates) the machine, which
  // then runs its definition; answer from the version it stores.
  if (own === REGISTRATION_UNDER_WAY) return concurrentOutcome(orgId, definition, deps);
  const { stateMachineArn, updated } = own;
  const workflow: WorkflowVersion = {
    orgId,
    workflowId: definition.id,
    version: definition.version,
    name: definition.name,
    description: definition.description,
    definition,
    stateMachineArn,
    createdAt: now,
  };
  // A concurrent registration of the same version may win the write; either way the version exists.
  const created = await deps.store.putVersion(workflow).catch(async (error: unknown) => {
    await lapseHold(deps, name, owner, now);
    throw error;
  });
  if (!created) {
    const winner = await deps.store.getVersion(orgId, definition.id, definition.version);
    if (winner && !isDeepStrictEqual(winner.definition, definition)) {
      // Our update may have landed after the winner's: put back the definition the stored version runs.
      if (updated) await deps.stateMachines.update(name, compile(winner.definition, deps));
      throw new ConflictError(
        `Workflow ${definition.id} version ${definition.version} was registered concurrently`,
      );
    }
  }
  return { created, workflow };
}

/** How long a claim holds its name against the other registrations of the version. */
export const REGISTRATION_HOLD_MS = outlivesInvocationMs(FUNCTIONS.registry);
/** How long, and how often, a registration that found the version being registered waits for its outcome. */
const CONCURRENT_WAIT = { attempts: 40, intervalMs: 250 } as const;

const REGISTRATION_UNDER_WAY = Symbol('registration under way');

/** A claim time long past: what a failed registration leaves on its claim, so a retry takes it over at once. */
const LAPSED_AT = new Date(0).toISOString();

/**
 * Ends at once the hold a failed registration has on its claim, dating the claim LAPSED_AT (it keeps its
 * owner; the next registration of the version takes it over). Best effort: else the hold lapses by itself.
 */
async function lapseHold(deps: WorkflowRegistryDeps, name: string, owner: StateMachineOwner, at: string) {
  await deps.ownership.takeOver(name, owner, at, LAPSED_AT).catch(() => false);
}

/**
 * The answer to a registration that found another one of the same version under way: the stored version
 * once it is there (200 for the same definition, 409 for another), or a 409 to try again when the other
 * registration stored nothing within the wait (it failed, or is slow).
 */
async function concurrentOutcome(
  orgId: string,
  definition: WorkflowDefinition,
  deps: WorkflowRegistryDeps,
): Promise<Registration> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 0; attempt < CONCURRENT_WAIT.attempts; attempt++) {
    const stored = await deps.store.getVersion(orgId, definition.id, definition.version);
    if (stored) {
      if (isDeepStrictEqual(stored.definition, definition)) return { created: false, workflow: stored };
      throw new ConflictError(
        `Workflow ${definition.id} version ${definition.version} was registered concurrently with a different definition; register yours under a new version`,
        [{ field: 'version', message: 'already registered' }],
      );
    }
    await sleep(CONCURRENT_WAIT.intervalMs);
  }
  throw new ConflictError(
    `Workflow ${definition.id} version ${definition.version} is being registered by another request; try again`,
    [{ field: 'version', rule: 'registrationUnderWay', message: 'being registered concurrently' }],
  );
}

const compile = (definition: WorkflowDefinition, deps: WorkflowRegistryDeps) =>
  JSON.stringify(
    compileWorkflow(definition, {
      stepRunnerArn: deps.stepRunnerArn,
      workerQueueUrls: Object.fromEntries(
        Object.values(deps.workerTypes ?? {}).map((type) => [type.name, type.queueUrl]),
      ),
    }),
  );

async function createOwnStateMachine(
  deps: WorkflowRegistryDeps,
  name: string,
  owner: StateMachineOwner,
  asl: string,
  at: string,
): Promise<{ readonly stateMachineArn: string; readonly updated: boolean } | typeof REGISTRATION_UNDER_WAY> {
  const claim = await deps.ownership.claim(name, owner, at);
  if (!claim.claimed && !sameOwner(claim.owner, owner)) throw nameTaken(name, owner);
  if (!claim.claimed) {
    // Our own (org, workflow, version) holds the name. A claim younger than REGISTRATION_HOLD_MS may be a
    // registration still running: updating the machine under it would run our definition in tasks of the
    // version it stores (seen: 6 concurrent registrations with different definitions, and 5-15 % of the
    // tasks started meanwhile ran a loser's steps). An older one was left by a registration that stopped:
    // exactly one caller takes it over and brings the machine up to date.
    const claimedMs = claim.claimedAt === undefined ? 0 : Date.parse(claim.claimedAt);
    if (Date.parse(at) - claimedMs < REGISTRATION_HOLD_MS) return REGISTRATION_UNDER_WAY;
    if (!(await deps.ownership.takeOver(name, owner, claim.claimedAt, at))) return REGISTRATION_UNDER_WAY;
  }
  const created = await deps.stateMachines.create(name, asl).catch(async (error: unknown) => {
    // Nothing was created: leave no claim behind for a definition that never ran.
    if (error instanceof StateMachineDefinitionRefused && claim.claimed)
      await deps.ownership.release(name, owner);
    else await lapseHold(deps, name, owner, at);
    throw error;
  });
  if (created !== undefined) return { stateMachineArn: created, updated: false };
  if (claim.claimed) {
    // The machine predates our claim: nothing proves it is ours (another deployment with this prefix,
    // or one made outside stepwise). Give the name back and leave the machine alone.
    await deps.ownership.release(name, owner);
    throw nameTaken(name, owner);
  }
  // Our own claim, taken over from an earlier attempt that stopped before storing the version: bring the
  // machine up to date.
  const stateMachineArn = await deps.stateMachines.update(name, asl).catch(async (error: unknown) => {
    await lapseHold(deps, name, owner, at);
    throw error;
  });
  return { stateMachineArn, updated: true };
}

function nameTaken(name: string, owner: StateMachineOwner): ConflictError {
  return new ConflictError(
    `State machine ${name} exists and does not belong to workflow ${owner.workflowId} version ${owner.version} of this organization`,
    [
      {
        field: 'id',
        rule: 'stateMachineOwnership',
        message: `state machine ${name} belongs to another workflow`,
      },
    ],
  );
}

/** `lambda` steps whose literal functionArn the deployment does not allow for the org. */
function refusedLambdaSteps(
  definition: WorkflowDefinition,
  orgId: string,
  allowlist: LambdaAllowlist,
): ErrorDetail[] {
  const refused: ErrorDetail[] = [];
  const visit = (steps: readonly Step[], at: string) => {
    steps.forEach((step, index) => {
      const path = `${at}[${index}]`;
      if (step.type === 'map') visit(step.steps, `${path}.steps`);
      if (step.type !== 'lambda') return;
      // A `functionArn.$` reference resolves at run time, where the step runner checks it.
      const functionArn = step.params?.functionArn;
      if (typeof functionArn !== 'string' || isLambdaAllowed(allowlist, orgId, functionArn)) return;
      const field = `${path}.params.functionArn`;
      refused.push({
        stepId: step.id,
        field,
        rule: 'lambdaAllowlist',
        message: `Step '${step.id}' (${field}): function ${functionArn} is not allowed for this organization; ${describeAllowed(allowlist, orgId)}`,
      });
    });
  };
  visit(definition.steps, 'steps');
  return refused;
}

/**
 * `agent` steps naming a worker type the deployment does not declare, or does not open to the org: one
 * answer for both, so an org does not learn which types other orgs have.
 */
function refusedAgentSteps(definition: WorkflowDefinition, orgId: string, types: WorkerTypes): ErrorDetail[] {
  const refused: ErrorDetail[] = [];
  const open = Object.values(types)
    .filter((type) => isOpenTo(type, orgId))
    .map((type) => type.name);
  const visit = (steps: readonly Step[], at: string) => {
    steps.forEach((step, index) => {
      const path = `${at}[${index}]`;
      if (step.type === 'map') visit(step.steps, `${path}.steps`);
      if (step.type !== 'agent') return;
      if (open.includes(step.workerType)) return;
      const field = `${path}.workerType`;
      const available = open.length > 0 ? `declared for it: ${open.join(', ')}` : 'none is declared for it';
      refused.push({
        stepId: step.id,
        field,
        rule: 'workerType',
        message: `Step '${step.id}' (${field}): worker type ${step.workerType} is not declared for this organization; ${available}`,
      });
    });
  };
  visit(definition.steps, 'steps');
  return refused;
}
