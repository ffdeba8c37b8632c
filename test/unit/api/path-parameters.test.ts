// Path parameters: ids the API issues are UUIDs, slugs and key ids, so a parameter with control or format
// characters (a bidi override, a zero-width space) names nothing; it is a 400 naming the parameter, never a
// 404 whose message shows the text as sent.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { pathParameter } from '../../../functions/shared/api/request';
import { ValidationError } from '../../../functions/shared/http/errors';

const event = (id: string) => ({ pathParameters: { id } }) as unknown as APIGatewayProxyEventV2;

describe('pathParameter', () => {
  it.each([['\u202E'], ['a\u200Bb'], ['\u2066x'], ['x\u0000'], ['\u0007'], ['a\u2028b'], ['x'.repeat(129)]])(
    'refuses %j naming the parameter',
    (id) => {
      let error: unknown;
      try {
        pathParameter(event(id), 'id');
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).details?.[0]?.field).toBe('id');
      expect(JSON.stringify((error as ValidationError).details)).not.toMatch(/[\u202E\u200B\u2066]/);
    },
  );

  it('accepts the ids the API issues, and any other printable text', () => {
    for (const id of ['0b7f7f0e-1c2d-4e5f-8a9b-0c1d2e3f4a5b', 'basic_sequence', 'Q2d9_xLm', 'é🙂']) {
      expect(pathParameter(event(id), 'id')).toBe(id);
    }
  });
});
