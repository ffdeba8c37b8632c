import { beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, ValidationError } from '../../../functions/shared/http/errors';
import {
  registerWorkflow,
  type WorkflowRegistryDeps,
  type WorkflowVersions,
} from '../../../functions/shared/registry/register-workflow';
import { stateMachineName } from '../../../functions/shared/registry/state-machine-name';
import { StateMachineDefinitionRefused } from '../../../functions/shared/registry/state-machines';
import { InMemoryOwnership, InMemoryStateMachines, InMemoryWorkflowVersions } from './in-memory-registry';

const PREFIX = 'StackA';
const ALLOWED = 'arn:aws:lambda:eu-west-1:123456789012:function:enrich';

const workflow = (id: string, expression: string, version = 1) => ({
  id,
  version,
  name: id,
  steps: [{ id: 'only', type: 'transform', params: { expression } }],
});

const lambdaWorkflow = (steps: unknown[]) => ({ id: 'calls', version: 1, name: 'calls', steps });

let store: InMemoryWorkflowVersions;
let ownership: InMemoryOwnership;
let stateMachines: InMemoryStateMachines;
let deps: WorkflowRegistryDeps;

beforeEach(() => {
  store = new InMemoryWorkflowVersions();
  ownership = new InMemoryOwnership();
  stateMachines = new InMemoryStateMachines();
  deps = {
    store,
    ownership,
    stateMachines,
    stateMachinePrefix: PREFIX,
    stepRunnerArn: 'arn:aws:lambda:eu-west-1:123456789012:function:step-runner',
    lambdaFunctions: { 'org-a': [ALLOWED] },
    now: () => new Date('2026-01-01T00:00:00Z'),
  };
});

describe('registerWorkflow', () => {
  it("creates the machine under the deployment's prefix, records its owner and stores the version", async () => {
    const { created, workflow: stored } = await registerWorkflow('org-a', workflow('etl', '1'), deps);
    const name = stateMachineName(PREFIX, 'org-a', 'etl', 1);
    expect(created).toBe(true);
    expect(name.startsWith(`${PREFIX}_`)).toBe(true);
    expect(stored.stateMachineArn).toBe(stateMachines.arn(name));
    expect(ownership.owners.get(name)).toEqual({ orgId: 'org-a', workflowId: 'etl', version: 1 });
    expect(await store.getVersion('org-a', 'etl', 1)).toEqual(stored);
  });

  it('gives acme-prod/etl v1 and acme/prod-etl v1 machines of their own, each with its own definition', async () => {
    const first = await registerWorkflow('acme-prod', workflow('etl', '"acme-prod etl"'), deps);
    const second = await registerWorkflow('acme', workflow('prod-etl', '"acme prod-etl"'), deps);
    expect(first.workflow.stateMachineArn).not.toBe(second.workflow.stateMachineArn);
    expect(stateMachines.calls.map((call) => call.op)).toEqual(['create', 'create']);
    const definitionOf = (arn: string) => stateMachines.definitions.get(arn.split(':').at(-1) ?? '') ?? '';
    expect(definitionOf(first.workflow.stateMachineArn)).toContain('acme-prod etl');
    expect(definitionOf(second.workflow.stateMachineArn)).toContain('acme prod-etl');
  });

  it('returns the stored version unchanged when the same definition is registered again', async () => {
    const first = await registerWorkflow('org-a', workflow('etl', '1'), deps);
    const again = await registerWorkflow('org-a', workflow('etl', '1'), deps);
    expect(again).toEqual({ created: false, workflow: first.workflow });
    expect(stateMachines.calls).toHaveLength(1);
  });

  it('refuses a different definition under an existing version with a 409 naming the version', async () => {
    await registerWorkflow('org-a', workflow('etl', '1'), deps);
    const error = await registerWorkflow('org-a', workflow('etl', '2'), deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ statusCode: 409, details: [{ field: 'version' }] });
    expect(stateMachines.calls).toHaveLength(1);
  });

  it("updates a machine left by the caller's own failed registration of that version", async () => {
    const name = stateMachineName(PREFIX, 'org-a', 'etl', 1);
    // The earlier attempt claimed the name and created the machine, then failed before storing the version.
    await ownership.claim(name, { orgId: 'org-a', workflowId: 'etl', version: 1 });
    await stateMachines.create(name, '{"old":true}');
    const { created } = await registerWorkflow('org-a', workflow('etl', '"fixed"'), deps);
    expect(created).toBe(true);
    expect(stateMachines.calls.at(-1)).toEqual({ op: 'update', name });
    expect(stateMachines.definitions.get(name)).toContain('fixed');
  });

  it('never updates a machine whose name nobody owns: 409, the machine untouched, the claim given back', async () => {
    const name = stateMachineName(PREFIX, 'org-a', 'etl', 1);
    await stateMachines.create(name, '{"someone":"else"}');
    const error = await registerWorkflow('org-a', workflow('etl', '1'), deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as Error).message).toContain(name);
    expect(stateMachines.definitions.get(name)).toBe('{"someone":"else"}');
    expect(stateMachines.calls.map((call) => call.op)).not.toContain('update');
    expect(ownership.owners.has(name)).toBe(false);
    expect(await store.getVersion('org-a', 'etl', 1)).toBeUndefined();
  });

  it("maps Step Functions' refusal of the definition to a 400 naming the step and param, claim given back", async () => {
    const name = stateMachineName(PREFIX, 'org-a', 'etl', 1);
    // As Step Functions words it (the local emulator; AWS names the state by the same JSON pointer).
    const refusal =
      'Invalid State Machine Definition: \'State machine definition is invalid, see error(s) below:\n SCHEMA_VALIDATION_FAILED: /States/inner/Parameters/Payload/params/data.$ is invalid. must match format "asl_payload_template"\'';
    stateMachines.create = async () => {
      throw new StateMachineDefinitionRefused(refusal);
    };
    const definition = {
      id: 'etl',
      version: 1,
      name: 'etl',
      steps: [
        {
          id: 'each',
          type: 'map',
          items: '$.input.xs',
          steps: [
            { id: 'inner', type: 'transform', params: { expression: '1', 'data.$': 'States.Nope(1)' } },
          ],
        },
      ],
    };
    const error = await registerWorkflow('org-a', definition, deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({
      statusCode: 400,
      details: [
        { stepId: 'inner', field: 'steps[0].steps[0].params.data.$', rule: 'state-machine-definition' },
      ],
    });
    expect(ownership.owners.has(name)).toBe(false);
    expect(await store.getVersion('org-a', 'etl', 1)).toBeUndefined();
  });

  it("refuses a definition that compiles over Step Functions' 1 MB limit, before claiming anything", async () => {
    const steps = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ id: `s${i}`, type: 'transform', params: { expression: '1' } }));
    const error = await registerWorkflow(
      'org-a',
      { id: 'big', version: 1, name: 'big', steps: steps(600) },
      deps,
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({
      statusCode: 400,
      details: [{ field: 'steps', rule: 'max-definition-size' }],
    });
    expect(ownership.owners.size).toBe(0);
    expect(stateMachines.calls).toEqual([]);
    const fits = await registerWorkflow(
      'org-a',
      { id: 'big', version: 1, name: 'big', steps: steps(300) },
      deps,
    );
    expect(fits.created).toBe(true);
  });

  it("never touches a machine whose name another org's workflow owns", async () => {
    const name = stateMachineName(PREFIX, 'org-a', 'etl', 1);
    // A hash collision cannot be produced on purpose; the ownership record stands in for one.
    await ownership.claim(name, { orgId: 'org-b', workflowId: 'etl', version: 1 });
    await stateMachines.create(name, '{"org":"b"}');
    const error = await registerWorkflow('org-a', workflow('etl', '1'), deps).catch((e: unknown) => e);
    expect(error).toMatchObject({ statusCode: 409, details: [{ rule: 'stateMachineOwnership' }] });
    expect(stateMachines.definitions.get(name)).toBe('{"org":"b"}');
    expect(ownership.owners.get(name)).toEqual({ orgId: 'org-b', workflowId: 'etl', version: 1 });
  });

  describe('a concurrent registration of the version', () => {
    // The winner claimed, created and stored; our attempt read no version before it stored (the race).
    const readsNoVersionFirst = (versions: WorkflowVersions): WorkflowVersions => {
      let reads = 0;
      return {
        getVersion: async (...args) => (reads++ === 0 ? undefined : versions.getVersion(...args)),
        putVersion: (version) => versions.putVersion(version),
      };
    };
    const noWait = { sleep: async () => {} };

    it('never puts its definition on the machine of the version the winner stored: a 409', async () => {
      const name = stateMachineName(PREFIX, 'org-a', 'etl', 1);
      await registerWorkflow('org-a', workflow('etl', '"winner"'), deps);
      const winnerAsl = stateMachines.definitions.get(name);
      const error = await registerWorkflow('org-a', workflow('etl', '"loser"'), {
        ...deps,
        ...noWait,
        store: readsNoVersionFirst(store),
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConflictError);
      expect(error).toMatchObject({ statusCode: 409, details: [{ field: 'version' }] });
      // Not even for a moment: tasks started in between would have run the loser's steps.
      expect(stateMachines.calls.map((call) => call.op)).toEqual(['create']);
      expect(stateMachines.definitions.get(name)).toBe(winnerAsl);
      expect(winnerAsl).toContain('winner');
    });

    it('answers the stored version for the same definition, without touching the machine', async () => {
      const first = await registerWorkflow('org-a', workflow('etl', '"same"'), deps);
      const again = await registerWorkflow('org-a', workflow('etl', '"same"'), {
        ...deps,
        ...noWait,
        store: readsNoVersionFirst(store),
      });
      expect(again).toEqual({ created: false, workflow: first.workflow });
      expect(stateMachines.calls.map((call) => call.op)).toEqual(['create']);
    });

    it('lets a retry take over at once the claim of a registration that failed in this request', async () => {
      const failing: WorkflowVersions = {
        getVersion: (...args) => store.getVersion(...args),
        putVersion: async () => {
          throw new Error('table unavailable');
        },
      };
      await expect(
        registerWorkflow('org-a', workflow('etl', '"first"'), { ...deps, store: failing }),
      ).rejects.toThrow('table unavailable');
      const retry = await registerWorkflow('org-a', workflow('etl', '"retry"'), { ...deps, ...noWait });
      expect(retry.created).toBe(true);
      expect(stateMachines.definitions.get(stateMachineName(PREFIX, 'org-a', 'etl', 1))).toContain('retry');
    });

    it('is a 409 to try again when the other registration stores nothing while it waits', async () => {
      const name = stateMachineName(PREFIX, 'org-a', 'etl', 1);
      // A registration under way: it claimed the name just now and has stored nothing yet.
      await ownership.claim(name, { orgId: 'org-a', workflowId: 'etl', version: 1 }, '2026-01-01T00:00:00Z');
      const error = await registerWorkflow('org-a', workflow('etl', '1'), { ...deps, ...noWait }).catch(
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ statusCode: 409, details: [{ rule: 'registrationUnderWay' }] });
      expect(stateMachines.calls).toEqual([]);
      expect(await store.getVersion('org-a', 'etl', 1)).toBeUndefined();
    });
  });

  describe('lambda steps', () => {
    const lambdaStep = (id: string, params: Record<string, unknown>) => ({ id, type: 'lambda', params });

    it('accepts a function the deployment allows for the org, bare or with a version or alias', async () => {
      const steps = [
        lambdaStep('bare', { functionArn: ALLOWED }),
        lambdaStep('aliased', { functionArn: `${ALLOWED}:live` }),
        lambdaStep('versioned', { functionArn: `${ALLOWED}:3` }),
      ];
      expect((await registerWorkflow('org-a', lambdaWorkflow(steps), deps)).created).toBe(true);
    });

    it('refuses a function that is not allowed for the org with a 400 naming the step and field', async () => {
      const other = 'arn:aws:lambda:eu-west-1:123456789012:function:payroll';
      const steps = [
        lambdaStep('ok', { functionArn: ALLOWED }),
        lambdaStep('sneaky', { functionArn: other }),
      ];
      const error = await registerWorkflow('org-a', lambdaWorkflow(steps), deps).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({
        statusCode: 400,
        details: [{ stepId: 'sneaky', field: 'steps[1].params.functionArn', rule: 'lambdaAllowlist' }],
      });
      expect((error as Error).message).toContain(other);
      expect(stateMachines.calls).toHaveLength(0);
    });

    it("refuses another org's allowed function, a name without ARN and a lookalike ARN", async () => {
      for (const functionArn of [ALLOWED, 'enrich', `${ALLOWED}-v2`, `${ALLOWED}:live:extra`]) {
        const orgId = functionArn === ALLOWED ? 'org-b' : 'org-a';
        const steps = [lambdaStep('call', { functionArn })];
        const error = await registerWorkflow(orgId, lambdaWorkflow(steps), deps).catch((e: unknown) => e);
        expect(error, functionArn).toBeInstanceOf(ValidationError);
      }
    });

    it('checks the steps inside a map', async () => {
      const steps = [
        {
          id: 'each',
          type: 'map',
          items: '$.input.items',
          steps: [lambdaStep('inner', { functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:x' })],
        },
      ];
      const error = await registerWorkflow('org-a', lambdaWorkflow(steps), deps).catch((e: unknown) => e);
      expect(error).toMatchObject({
        details: [{ stepId: 'inner', field: 'steps[0].steps[0].params.functionArn' }],
      });
    });

    it('leaves a functionArn.$ reference to the run-time check', async () => {
      const steps = [lambdaStep('dynamic', { 'functionArn.$': '$.input.fn' })];
      expect((await registerWorkflow('org-a', lambdaWorkflow(steps), deps)).created).toBe(true);
    });
  });
});
