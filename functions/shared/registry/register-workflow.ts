// Registering a workflow version: validate, compile to ASL, create (or update) its state machine, store
// the version. A version is immutable: registering the same definition again changes nothing, a
// different definition under an existing version is a conflict.

import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import {
  CreateStateMachineCommand,
  type SFNClient,
  StateMachineAlreadyExists,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import { ConflictError, ValidationError } from '../http/errors';
import { compileWorkflow } from '../workflows/compile-workflow';
import { validateWorkflow } from '../workflows/validate-workflow';
import type { WorkflowStore, WorkflowVersion } from './workflow-store';

export interface WorkflowRegistryDeps {
  readonly store: WorkflowStore;
  readonly sfn: SFNClient;
  /** The role every workflow state machine runs as. */
  readonly roleArn: string;
  readonly stepRunnerArn: string;
  readonly now?: () => Date;
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
  const existing = await deps.store.getVersion(orgId, definition.id, definition.version);
  if (existing) {
    if (isDeepStrictEqual(existing.definition, definition)) return { created: false, workflow: existing };
    throw new ConflictError(
      `Workflow ${definition.id} version ${definition.version} already exists with a different definition; register it under a new version`,
      [{ field: 'version', message: 'already registered' }],
    );
  }
  const asl = JSON.stringify(compileWorkflow(definition, { stepRunnerArn: deps.stepRunnerArn }));
  const stateMachineArn = await upsertStateMachine(
    deps,
    stateMachineName(orgId, definition.id, definition.version),
    asl,
  );
  const workflow: WorkflowVersion = {
    orgId,
    workflowId: definition.id,
    version: definition.version,
    name: definition.name,
    description: definition.description,
    definition,
    stateMachineArn,
    createdAt: (deps.now ?? (() => new Date()))().toISOString(),
  };
  // A concurrent registration of the same version may win the write; either way the version exists.
  const created = await deps.store.putVersion(workflow);
  if (!created) {
    const winner = await deps.store.getVersion(orgId, definition.id, definition.version);
    if (winner && !isDeepStrictEqual(winner.definition, definition)) {
      throw new ConflictError(
        `Workflow ${definition.id} version ${definition.version} was registered concurrently`,
      );
    }
  }
  return { created, workflow };
}

/** State machine names allow 80 characters of [A-Za-z0-9-_]; long org ids are shortened by a hash. */
export function stateMachineName(orgId: string, workflowId: string, version: number): string {
  const name = `stepwise-${orgId}-${workflowId}-v${version}`.replace(/[^A-Za-z0-9_-]/g, '-');
  if (name.length <= 80) return name;
  const digest = createHash('sha256').update(name).digest('hex').slice(0, 12);
  return `${name.slice(0, 80 - digest.length - 1)}-${digest}`;
}

async function upsertStateMachine(
  deps: WorkflowRegistryDeps,
  name: string,
  definition: string,
): Promise<string> {
  try {
    const created = await deps.sfn.send(
      new CreateStateMachineCommand({
        name,
        definition,
        roleArn: deps.roleArn,
        type: 'STANDARD',
        tracingConfiguration: { enabled: true },
      }),
    );
    return created.stateMachineArn ?? '';
  } catch (error) {
    if (!(error instanceof StateMachineAlreadyExists)) throw error;
    // Left by a registration that failed before storing the version: bring it up to date.
    const region = await deps.sfn.config.region();
    const account = deps.roleArn.split(':')[4];
    const stateMachineArn = `arn:aws:states:${region}:${account}:stateMachine:${name}`;
    await deps.sfn.send(
      new UpdateStateMachineCommand({ stateMachineArn, definition, roleArn: deps.roleArn }),
    );
    return stateMachineArn;
  }
}
