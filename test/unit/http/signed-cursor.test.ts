import { describe, expect, it } from 'vitest';
import {
  type CursorBinding,
  CursorSigner,
  InvalidCursorError,
} from '../../../functions/shared/http/signed-cursor';

const signer = new CursorSigner(async () => 'test-key');
const binding: CursorBinding = {
  route: 'GET /tasks',
  orgId: 'org-1',
  query: { status: 'RUNNING', agentId: undefined },
};
const inner = Buffer.from('{"pk":"TASK#1"}').toString('base64url');

describe('CursorSigner', () => {
  it('round-trips a store cursor for the same listing, whatever the order of the query', async () => {
    const cursor = await signer.sign(binding, inner);
    expect(
      await signer.verify({ ...binding, query: { agentId: undefined, status: 'RUNNING' } }, cursor),
    ).toBe(inner);
  });

  it('passes the last page (no cursor) and a missing cursor through', async () => {
    expect(await signer.sign(binding, undefined)).toBeUndefined();
    expect(await signer.verify(binding, undefined)).toBeUndefined();
  });

  it('refuses an empty cursor (cursor=) rather than reading it as none, which would restart at page one', async () => {
    await expect(signer.verify(binding, '')).rejects.toThrow(
      expect.objectContaining({
        statusCode: 400,
        details: [expect.objectContaining({ field: 'cursor', message: expect.stringMatching(/empty/) })],
      }),
    );
  });

  it.each([
    ['another route', { ...binding, route: 'GET /workflows' }],
    ['another organization', { ...binding, orgId: 'org-2' }],
    ['another query', { ...binding, query: { status: 'FAILED' } }],
    ['a query with a filter more', { ...binding, query: { ...binding.query, workflowId: 'w' } }],
  ])('refuses a cursor used for %s', async (_name, other) => {
    const cursor = await signer.sign(binding, inner);
    await expect(signer.verify(other, cursor)).rejects.toBeInstanceOf(InvalidCursorError);
  });

  it('refuses altered, forged, unsigned and oversized cursors, and cursors signed with another key', async () => {
    const cursor = (await signer.sign(binding, inner)) ?? '';
    const [payload, mac] = cursor.split('.');
    const otherKey = await new CursorSigner(async () => 'other-key').sign(binding, inner);
    const altered = `${Buffer.from('{"pk":"TASK#2"}').toString('base64url')}.${mac}`;
    for (const bad of [altered, payload, 'e30', `${cursor}.x`, 'x'.repeat(3000), otherKey, `${payload}.`]) {
      await expect(signer.verify(binding, bad)).rejects.toMatchObject({
        statusCode: 400,
        details: [{ field: 'cursor' }],
      });
    }
  });

  it('refuses a cursor whose MAC differs from the issued one only in characters base64url decoding ignores', async () => {
    const cursor = (await signer.sign(binding, inner)) ?? '';
    const [payload, mac = ''] = cursor.split('.');
    const lastBitsFlipped = `${mac.slice(0, -1)}${String.fromCharCode(mac.charCodeAt(mac.length - 1) ^ 1)}`;
    for (const bad of [`${cursor}!!`, `${cursor}=`, `${payload}.!${mac}`, `${payload}.${lastBitsFlipped}`]) {
      await expect(signer.verify(binding, bad), bad).rejects.toBeInstanceOf(InvalidCursorError);
    }
  });
});
