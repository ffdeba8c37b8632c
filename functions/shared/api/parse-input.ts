// Reading a request's query and body against a schema, each mistake a 400 naming the field. Kept apart from
// request.ts (ids, cursors, orgs) so the registry function, which needs only these, bundles no more.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ValidationError } from '../http/errors';
import { parseJsonBody } from '../http/json-body';
import { shownIssue } from '../http/shown-text';
import * as z from '../zod-mini';

/** Takes zod's classic schemas and zod/mini's alike (the API's own are on zod/mini). */
export function parseWith<T>(schema: z.core.$ZodType<T>, value: unknown, what: string): T {
  const result = z.safeParse(schema, value);
  if (result.success) return result.data;
  const details = result.error.issues.map((issue) => {
    const shown = shownIssue(issue);
    // The body itself when the path is empty; an empty key is spelled out so the field is never blank.
    const field =
      shown.field === undefined ? (what === 'query' ? 'query' : 'body') : shown.field || '(empty key)';
    return { field, message: `${field}: ${shown.message}` };
  });
  throw new ValidationError(`Invalid ${what}: ${details[0]?.message}`, details);
}

/**
 * Action routes that take no body (cancel, cleanup) refuse one that says anything: a client sending
 * `{"type": "x"}` must not believe it scoped the action. No body, or an empty JSON object, is accepted.
 */
export function noBody(event: APIGatewayProxyEventV2): void {
  if (!event.body) return;
  parseWith(z.strictObject({}), parseJsonBody(event), 'body');
}

/** Routes that take no query parameters refuse any, naming them, as the list routes refuse unknown ones. */
export function noQuery(event: APIGatewayProxyEventV2): void {
  parseWith(z.strictObject({}), event.queryStringParameters ?? {}, 'query');
}
