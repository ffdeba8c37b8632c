// Workflow registration over HTTP (POST /workflows), served by the registry function: it alone bundles
// the workflow DSL, its compiler, the JSONata and JSON Schema checks, and creates state machines.
import { jsonResponse } from '../http/errors';
import { parseJsonBody } from '../http/json-body';
import { registerWorkflow, type WorkflowRegistryDeps } from '../registry/register-workflow';
import type { ApiOperation } from './api-routes';
import { noQuery } from './parse-input';

export interface RegistrationRouteDeps {
  readonly registry: WorkflowRegistryDeps;
}

export const REGISTRATION_OPERATIONS: Record<string, ApiOperation<RegistrationRouteDeps>> = {
  'POST /workflows': async (event, identity, deps) => {
    noQuery(event);
    const { created, workflow } = await registerWorkflow(identity.orgId, parseJsonBody(event), deps.registry);
    return jsonResponse(created ? 201 : 200, { created, workflow });
  },
};
