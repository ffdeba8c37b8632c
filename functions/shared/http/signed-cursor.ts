// Pagination cursors a client cannot forge or move: the store's own cursor wrapped with an HMAC over the
// route, the organization and the query it pages through, under a key only the deployment holds. A
// cursor from another route, organization or query, or one edited by hand, fails the check and is a
// 400 naming `cursor`; only a cursor this API issued for this very listing ever reaches DynamoDB.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { BadRequestError } from './errors';

/** Far above any cursor the stores issue (a LastEvaluatedKey of four short attributes). */
export const MAX_CURSOR_LENGTH = 2048;

/** What a cursor is bound to. `query` holds the listing's filters (not `limit` or `cursor` itself). */
export interface CursorBinding {
  readonly route: string;
  readonly orgId: string;
  readonly query: Readonly<Record<string, string | number | undefined>>;
}

export type CursorKey = () => Promise<string>;

export class InvalidCursorError extends BadRequestError {
  constructor(reason: string) {
    super(`Invalid cursor: ${reason}`, [{ field: 'cursor', rule: 'cursor', message: `cursor ${reason}` }]);
    this.name = 'InvalidCursorError';
  }
}

export class CursorSigner {
  constructor(private readonly key: CursorKey) {}

  /** Wraps a store cursor for the listing `binding` describes; undefined stays undefined (last page). */
  async sign(binding: CursorBinding, inner: string | undefined): Promise<string | undefined> {
    if (inner === undefined) return undefined;
    const payload = Buffer.from(inner, 'utf8').toString('base64url');
    return `${payload}.${await this.mac(binding, payload)}`;
  }

  /** The store cursor inside `cursor`, or undefined for none; throws InvalidCursorError otherwise. */
  async verify(binding: CursorBinding, cursor: string | undefined): Promise<string | undefined> {
    if (cursor === undefined) return undefined;
    // `cursor=` is not "no cursor": a client that lost its cursor would silently restart at page one.
    if (cursor === '') throw new InvalidCursorError('is empty; omit cursor for the first page');
    if (cursor.length > MAX_CURSOR_LENGTH) throw new InvalidCursorError('is too long');
    const [payload, mac, extra] = cursor.split('.');
    if (!payload || !mac || extra !== undefined) throw new InvalidCursorError('is not one this API issued');
    // The MAC strings themselves are compared: base64url decoding skips characters outside its alphabet
    // and ignores a last character's spare bits, so many strings decode to the valid MAC.
    const expected = Buffer.from(await this.mac(binding, payload), 'utf8');
    const given = Buffer.from(mac, 'utf8');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new InvalidCursorError(
        'was not issued for this route, organization and query (or was altered); start again without it',
      );
    }
    return Buffer.from(payload, 'base64url').toString('utf8');
  }

  private async mac(binding: CursorBinding, payload: string): Promise<string> {
    const query = Object.entries(binding.query)
      .filter(([, value]) => value !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    const message = JSON.stringify([binding.route, binding.orgId, query, payload]);
    return createHmac('sha256', await this.key())
      .update(message)
      .digest('base64url');
  }
}
