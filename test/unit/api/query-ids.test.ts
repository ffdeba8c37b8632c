// Ids in query strings: API Gateway joins a repeated parameter with commas (?org=a&org=b reaches the
// handler as org=a,b), and `#` separates the parts of the table's keys (an org a#WF#b would name org a's
// workflow b). Both are 400s naming the field, not a silent empty page or a write under another key.
// agentId and tag values may hold `,` and `%`, so the raw query string tells a repeated or undecodable one.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { OrgQuery, parseWith } from '../../../functions/shared/api/request';
import { parseAdminTaskListQuery, parseTaskListQuery } from '../../../functions/shared/api/task-list';
import { ValidationError } from '../../../functions/shared/http/errors';

const query = (parameters: Record<string, string>) =>
  ({ queryStringParameters: parameters }) as unknown as APIGatewayProxyEventV2;

/** The event API Gateway makes of a query string: repeated parameters joined with commas, `%XX` decoded. */
function sent(rawQueryString: string): APIGatewayProxyEventV2 {
  const parameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString))
    parameters[name] = name in parameters ? `${parameters[name]},${value}` : value;
  return { rawQueryString, queryStringParameters: parameters } as unknown as APIGatewayProxyEventV2;
}

const messageOf = (parse: () => unknown) => {
  try {
    parse();
  } catch (error) {
    return (error as ValidationError).details?.[0]?.message;
  }
  throw new Error('accepted');
};

const fieldOf = (parse: () => unknown) => {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).details?.[0]?.field;
  }
  throw new Error('accepted');
};

describe('ids in query strings', () => {
  it.each(['default,orgb', 'default#WF#failer', 'a#b', '.acme', 'org/example', '*'])(
    'refuses org %s, naming org',
    (org) => {
      expect(fieldOf(() => parseWith(OrgQuery, org, 'query'))).toBe('query');
      expect(fieldOf(() => parseAdminTaskListQuery(query({ org })))).toBe('org');
    },
  );

  it('accepts an organization id', () => {
    expect(parseWith(OrgQuery, 'org-a_1', 'query')).toBe('org-a_1');
  });

  it('refuses a repeated or malformed workflowId, naming workflowId', () => {
    expect(fieldOf(() => parseTaskListQuery(query({ workflowId: 'appr,slow' })))).toBe('workflowId');
    expect(fieldOf(() => parseTaskListQuery(query({ workflowId: 'Has Spaces' })))).toBe('workflowId');
    expect(parseTaskListQuery(query({ workflowId: 'basic_sequence' })).workflowId).toBe('basic_sequence');
  });

  it.each([
    ['agentId=a&agentId=b', 'agentId', 'give agentId once'],
    ['tag=env:a&limit=5&tag=env:b', 'tag', 'give tag once'],
    ['agentId=%ZZ', 'agentId', 'is not valid percent-encoding'],
    ['agentId=a%', 'agentId', 'is not valid percent-encoding'],
    ['tag=env:a%ZZ', 'tag', 'is not valid percent-encoding'],
    ['agent%49d=%E0%A4', 'agentId', 'is not valid percent-encoding'],
  ])('refuses ?%s on both task lists, naming %s', (raw, field, problem) => {
    for (const parse of [parseTaskListQuery, parseAdminTaskListQuery]) {
      expect(fieldOf(() => parse(sent(raw)))).toBe(field);
      expect(messageOf(() => parse(sent(raw)))).toBe(`${field}: ${problem}`);
    }
  });

  it('accepts one agentId or tag holding a comma or a percent sign, as tasks may be started with them', () => {
    expect(parseTaskListQuery(sent('agentId=a%2Cb&tag=env:50%25')).agentId).toBe('a,b');
    expect(parseTaskListQuery(sent('agentId=a,b')).agentId).toBe('a,b');
    expect(parseAdminTaskListQuery(sent('tag=env:50%25&org=acme')).tag).toEqual({ key: 'env', value: '50%' });
  });
});
