// Turns Step Functions' refusal of a compiled definition (InvalidDefinition) into a 400 naming the step
// and field, for what validation cannot foresee (e.g. a malformed intrinsic in a `.$` param, judged by
// Step Functions' own grammar). Step states are named by step id, so a JSON pointer in the refusal
// (`/States/<step>/Parameters/Payload/params/<key>`) leads back to the definition.
import { type ErrorDetail, ValidationError } from '../http/errors';
import type { Step, WorkflowDefinition } from '../workflows/definition';

const RULE = 'state-machine-definition';
const MAX_REASON_LENGTH = 500;

export function refusedDefinitionError(definition: WorkflowDefinition, refusal: string): ValidationError {
  const stepFields = new Map<string, string>();
  const visit = (steps: readonly Step[], at: string) => {
    steps.forEach((step, index) => {
      stepFields.set(step.id, `${at}[${index}]`);
      if (step.type === 'map') visit(step.steps, `${at}[${index}].steps`);
    });
  };
  visit(definition.steps, 'steps');

  const reasons = refusal
    .split('\n')
    .map((line) => line.trim().replace(/'$/, ''))
    .filter((line) => line.includes('/States/'));
  const details: ErrorDetail[] = reasons.map((reason) =>
    detailOf(reason.slice(0, MAX_REASON_LENGTH), stepFields),
  );
  if (details.length === 0) {
    const reason = refusal.slice(0, MAX_REASON_LENGTH);
    details.push({ field: 'steps', rule: RULE, message: `Step Functions refused the definition: ${reason}` });
  }
  return new ValidationError(`Invalid workflow definition: ${details[0]?.message}`, details);
}

function detailOf(reason: string, stepFields: ReadonlyMap<string, string>): ErrorDetail {
  const pointer = /\/States\/[^\s']+/.exec(reason)?.[0] ?? '';
  const segments = pointer.split('/').map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
  for (let i = segments.length - 2; i >= 0; i--) {
    const stepId = segments[i + 1] ?? '';
    const stepField = stepFields.get(stepId);
    if (segments[i] !== 'States' || stepField === undefined) continue;
    const rest = segments.slice(i + 2);
    const inParams =
      rest[0] === 'Parameters' && rest[1] === 'Payload' && rest[2] === 'params' && rest.length > 3;
    const field = inParams ? `${stepField}.params.${rest.slice(3).join('.')}` : stepField;
    return {
      stepId,
      field,
      rule: RULE,
      message: `Step '${stepId}' (${field}): Step Functions refused it: ${reason}`,
    };
  }
  return { field: 'steps', rule: RULE, message: `Step Functions refused the definition: ${reason}` };
}
