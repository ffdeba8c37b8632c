// Opaque pagination cursors: DynamoDB's LastEvaluatedKey, base64url-encoded. A cursor that does not
// decode is the client's mistake, reported as such.
import { BadRequestError } from '../http/errors';

export function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key)).toString('base64url') : undefined;
}

export function decodeCursor(cursor: string | undefined): Record<string, unknown> | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (typeof key === 'object' && key !== null && !Array.isArray(key)) return key as Record<string, unknown>;
  } catch {
    // fall through to the error below
  }
  throw new BadRequestError('Invalid cursor', [
    { field: 'cursor', message: 'not a cursor this API returned' },
  ]);
}
