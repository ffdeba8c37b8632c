// Validates a step's params against its action's schema at the edge, turning the first problem into an
// InvalidStepParams error that names the field, so a workflow author sees `http step params: url: ...`
// rather than a stack trace from deep inside the action.
import type * as z from '../zod-mini';
import { InvalidStepParams } from './errors';

export function parseStepParams<S extends z.ZodMiniType>(
  action: string,
  schema: S,
  params: unknown,
): z.output<S> {
  const parsed = schema.safeParse(params ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (!issue) throw new InvalidStepParams(action, '', 'invalid params');
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const [key] = issue.keys;
    return throwInvalid(
      action,
      [...path, key ?? ''].join('.'),
      `unknown field (keys: ${issue.keys.join(', ')})`,
    );
  }
  // zod says "expected string, received undefined" for a missing field; say it plainly.
  const message =
    issue.code === 'invalid_type' && /received undefined$/.test(issue.message)
      ? 'is required'
      : issue.message;
  return throwInvalid(action, path.join('.'), message);
}

function throwInvalid(action: string, field: string, message: string): never {
  throw new InvalidStepParams(action, field, message);
}
