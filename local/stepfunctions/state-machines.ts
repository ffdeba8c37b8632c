// The state machine registry: create (idempotent as on AWS), update, describe, list, delete.
import { randomUUID } from 'node:crypto';
import { assertStateMachineArn, assertValidName, type Partition, stateMachineArn } from './arns';
import type { DefinitionCache } from './definition';
import { stateMachineAlreadyExists, stateMachineDoesNotExist, validationError } from './errors';
import type { JsonFileStore } from './store';

export interface StateMachineRecord {
  stateMachineArn: string;
  name: string;
  definition: string;
  roleArn: string;
  type: 'STANDARD' | 'EXPRESS';
  /** Epoch milliseconds. */
  creationDate: number;
  updateDate?: number;
  revisionId: string;
  description?: string;
  loggingConfiguration?: unknown;
  tracingConfiguration?: unknown;
}

export interface CreateStateMachineInput {
  name?: unknown;
  definition?: unknown;
  roleArn?: unknown;
  type?: unknown;
  description?: unknown;
  loggingConfiguration?: unknown;
  tracingConfiguration?: unknown;
}

const optionalString = (value: unknown) => (typeof value === 'string' ? value : undefined);

function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw validationError(
      `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

export class StateMachines {
  private readonly records = new Map<string, StateMachineRecord>();

  constructor(
    private readonly partition: Partition,
    private readonly definitions: DefinitionCache,
    private readonly store?: JsonFileStore<StateMachineRecord[]>,
  ) {}

  async restore(): Promise<void> {
    for (const record of (await this.store?.load()) ?? []) this.records.set(record.stateMachineArn, record);
  }

  create(input: CreateStateMachineInput): StateMachineRecord {
    const name = assertValidName(input.name);
    const definition = requireString(input.definition, 'definition');
    const roleArn = requireString(input.roleArn, 'roleArn');
    const type = input.type === 'EXPRESS' ? 'EXPRESS' : 'STANDARD';
    this.definitions.compile(definition);
    const arn = stateMachineArn(this.partition, name);
    const existing = this.records.get(arn);
    if (existing) {
      // AWS: idempotent for the same name, definition and type (roleArn and tags are then ignored).
      if (existing.definition === definition && existing.type === type) return existing;
      throw stateMachineAlreadyExists(arn);
    }
    const record: StateMachineRecord = {
      stateMachineArn: arn,
      name,
      definition,
      roleArn,
      type,
      creationDate: Date.now(),
      revisionId: randomUUID(),
      description: optionalString(input.description),
      loggingConfiguration: input.loggingConfiguration,
      tracingConfiguration: input.tracingConfiguration,
    };
    this.records.set(arn, record);
    this.persist();
    return record;
  }

  update(input: { stateMachineArn?: unknown } & CreateStateMachineInput): StateMachineRecord {
    const record = this.get(input.stateMachineArn);
    if (
      input.definition === undefined &&
      input.roleArn === undefined &&
      input.loggingConfiguration === undefined &&
      input.tracingConfiguration === undefined
    ) {
      throw validationError(
        'Either the definition, the roleArn, the loggingConfiguration or the tracingConfiguration must be specified',
      );
    }
    if (input.definition !== undefined) {
      const definition = requireString(input.definition, 'definition');
      this.definitions.compile(definition);
      record.definition = definition;
    }
    if (input.roleArn !== undefined) record.roleArn = requireString(input.roleArn, 'roleArn');
    if (input.description !== undefined) record.description = optionalString(input.description);
    if (input.loggingConfiguration !== undefined) record.loggingConfiguration = input.loggingConfiguration;
    if (input.tracingConfiguration !== undefined) record.tracingConfiguration = input.tracingConfiguration;
    record.updateDate = Date.now();
    record.revisionId = randomUUID();
    this.persist();
    return record;
  }

  get(arn: unknown): StateMachineRecord {
    const record = this.records.get(assertStateMachineArn(arn));
    if (!record) throw stateMachineDoesNotExist(String(arn));
    return record;
  }

  list(): StateMachineRecord[] {
    return [...this.records.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** AWS lets running executions finish; so does this. */
  delete(arn: unknown): void {
    this.records.delete(assertStateMachineArn(arn));
    this.persist();
  }

  flush(): Promise<void> {
    return this.store?.flush() ?? Promise.resolve();
  }

  private persist(): void {
    this.store?.save([...this.records.values()]);
  }
}
