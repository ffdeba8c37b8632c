// Ids in query strings: API Gateway joins a repeated parameter with commas (?org=a&org=b reaches the
// handler as org=a,b), and `#` separates the parts of the table's keys (an org a#WF#b would name org a's
// workflow b). Both are 400s naming the field, not a silent empty page or a write under another key.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { OrgQuery, parseWith } from '../../../functions/shared/api/request';
import { parseAdminTaskListQuery, parseTaskListQuery } from '../../../functions/shared/api/task-list';
import { ValidationError } from '../../../functions/shared/http/errors';

const query = (parameters: Record<string, string>) =>
  ({ queryStringParameters: parameters }) as unknown as APIGatewayProxyEventV2;

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
});
