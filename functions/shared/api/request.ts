// What every route module shares to read a request: path parameters, ids in the query, list paging and time
// bounds, and the binding of a listing's cursor to its route, org and query; with the schema parsing of
// parse-input.ts, re-exported.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { type Identity, OPERATOR_ORG_ID, ORG_ID, ORG_ID_RULE } from '../auth/identity';
import { BadRequestError, ValidationError } from '../http/errors';
import type { CursorBinding } from '../http/signed-cursor';
import { SLUG } from '../workflows/slug';
import * as z from '../zod-mini';

export { noBody, noQuery, parseWith } from './parse-input';

/** Far above any id the API issues (task ids are UUIDs, workflow ids slugs of 64), far below DynamoDB's key limit. */
export const MAX_ID_LENGTH = 128;
/**
 * No control nor format characters, nor line separators (Unicode Cc, Cf, Zl, Zp): no id the API issues has
 * one, and a 404 that named an id with a bidi override or a zero-width space would show the client's text
 * other than it reads.
 */
const PRINTABLE = /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+$/u;

export const pathParameter = (event: APIGatewayProxyEventV2, name: string) => {
  const value = event.pathParameters?.[name];
  if (!value)
    throw new BadRequestError(`Missing path parameter ${name}`, [
      { field: name, message: `${name} is required` },
    ]);
  if (value.length > MAX_ID_LENGTH || !PRINTABLE.test(value)) {
    throw new ValidationError(`Invalid path parameter ${name}`, [
      {
        field: name,
        message: `${name} must be 1 to ${MAX_ID_LENGTH} characters without control or format characters`,
      },
    ]);
  }
  return value;
};

/**
 * Query parameters whose values may hold any printable character (an agent id, a tag's value), so their
 * pattern cannot refuse what API Gateway makes of a repeated one (joined with commas: `?agentId=a&agentId=b`
 * reads as the agent `a,b`) or of an undecodable `%` (`%ZZ`, passed on as sent, reads as a `%25ZZ`). The
 * raw query string tells both apart: each is a 400 naming the parameter.
 */
export function checkRawQuery(event: APIGatewayProxyEventV2, names: readonly string[]): void {
  const seen = new Set<string>();
  for (const pair of (event.rawQueryString ?? '').split('&')) {
    const [rawName = '', value = ''] = pair.split(/=(.*)/s);
    const name = decoded(rawName);
    if (name === undefined || !names.includes(name)) continue;
    const problem = seen.has(name)
      ? `give ${name} once`
      : decoded(value) === undefined
        ? 'is not valid percent-encoding'
        : undefined;
    if (problem) {
      throw new ValidationError(`Invalid query: ${name}: ${problem}`, [
        { field: name, message: `${name}: ${problem}` },
      ]);
    }
    seen.add(name);
  }
}

const decoded = (text: string) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
};

/**
 * A query parameter holding an integer from 1 to `max`, in at most `digits` decimal digits: Number() alone
 * would also read 0x10, 1e1, 0b11 and " 5".
 */
export const queryInteger = (max: number, digits: number) =>
  z.pipe(
    z.pipe(
      z
        .string()
        .check(
          z.regex(new RegExp(`^\\d{1,${digits}}$`), `must be an integer from 1 to ${max}, in decimal digits`),
        ),
      z.transform(Number),
    ),
    z.int().check(z.minimum(1), z.maximum(max)),
  );

/**
 * `?org=` on the routes open to operators: an organization id (ORG_ID, as identities carry), never the
 * operators' own reserved id (which names no organization's data: omitting `org` is how an OPERATOR reads
 * every organization). The id pattern has no `#` (an org a#WF#b would name org a's workflow b) and no `,`
 * (API Gateway joins a repeated `?org=` with commas, which must not read as one org).
 */
export const OrgQuery = z.string().check(
  z.refine((value) => value !== OPERATOR_ORG_ID, {
    message: `${OPERATOR_ORG_ID} is reserved for operators and holds no data; omit org to read every organization`,
    abort: true,
  }),
  z.regex(ORG_ID, `must be one organization id (give org once): ${ORG_ID_RULE}`),
);

/**
 * A workflow id in a query or body: a slug, as registration makes it; a repeated `?workflowId=` (joined
 * with commas by API Gateway) is refused with it.
 */
export const WorkflowIdParam = z
  .string()
  .check(z.regex(SLUG, 'must be one workflow id: lowercase letters, digits, _ or -, at most 64 characters'));

export const ListQuerySchema = z.strictObject({
  limit: z.optional(queryInteger(100, 3)),
  cursor: z.optional(z.string()),
});

/**
 * Range bounds in UTC: from the epoch to before year 9999, so no date a response derives from them (a
 * bucket's end, a default `from` 30 days before `to`) takes ISO's extended-year form (`+010000-...`).
 */
const EARLIEST_MS = Date.UTC(1970, 0, 1);
const LATEST_MS = Date.UTC(9999, 0, 1);

export const IsoDateTime = z.iso.datetime({ offset: true }).check(
  z.refine((value) => !Number.isNaN(Date.parse(value)), 'is not a date that exists'),
  z.refine((value) => {
    const ms = Date.parse(value);
    return Number.isNaN(ms) || (ms >= EARLIEST_MS && ms < LATEST_MS);
  }, 'must be from 1970-01-01T00:00:00Z to 9998-12-31T23:59:59Z (in UTC)'),
);

/** Task times are stored as UTC ISO strings (`...Z`), so range bounds are compared in that form. */
export const toUtc = (value: string | undefined) =>
  value === undefined ? undefined : new Date(value).toISOString();

/** The listing a cursor pages through: route, org and every filter except `limit` and `cursor`. */
export function cursorBinding(
  event: APIGatewayProxyEventV2,
  identity: Identity,
  query: Record<string, unknown>,
): CursorBinding {
  const { limit: _limit, cursor: _cursor, ...filters } = query;
  return { route: event.routeKey, orgId: identity.orgId, query: filters as CursorBinding['query'] };
}
