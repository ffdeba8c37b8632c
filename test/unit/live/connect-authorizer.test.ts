import { describe, expect, it } from 'vitest';
import { createApiKey } from '../../../functions/shared/auth/api-keys';
import { credentialOfProtocols, decideConnect } from '../../../functions/shared/live/connect-authorizer';
import { credentialExpiryOf } from '../../../functions/shared/live/live-expiry';
import { InMemoryApiKeyStore } from '../auth/in-memory-stores';

const methodArn = 'arn:aws:execute-api:us-east-1:123456789012:abc123/live/$connect';
const protocols = (credential: string) =>
  `stepwise.v1, bearer.${Buffer.from(credential).toString('base64url')}`;

describe('the $connect authorizer', () => {
  it('allows a known API key offered as a subprotocol, with the identity as context', async () => {
    const apiKeys = new InMemoryApiKeyStore();
    const { plaintext, key } = await createApiKey(apiKeys, { orgId: 'org-a', role: 'MEMBER', name: 'x' });
    const decision = await decideConnect(
      { methodArn, headers: { 'Sec-WebSocket-Protocol': protocols(plaintext) } },
      { apiKeys },
    );
    expect(decision.response).toEqual({
      principalId: key.keyId,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: methodArn }],
      },
      context: { orgId: 'org-a', role: 'MEMBER', principal: key.keyId, method: 'api-key' },
    });
  });

  it("hands on a JWT's expiry, so $connect records when the connection must end", async () => {
    const verifyJwt = async () =>
      ({
        orgId: 'org-a',
        role: 'ADMIN',
        principal: 'user-1',
        method: 'jwt',
        expiresAt: 2_000_000_000,
      }) as const;
    const decision = await decideConnect(
      { methodArn, headers: { 'Sec-WebSocket-Protocol': protocols('a.b.c') } },
      { apiKeys: new InMemoryApiKeyStore(), verifyJwt },
    );
    expect(decision.response.context).toEqual({
      orgId: 'org-a',
      role: 'ADMIN',
      principal: 'user-1',
      method: 'jwt',
      credentialExpiresAt: 2_000_000_000,
    });
  });

  it('reads the expiry back as a number or its text (a WebSocket context may stringify it), nothing else', () => {
    expect(credentialExpiryOf(2_000_000_000)).toBe(2_000_000_000);
    expect(credentialExpiryOf('2000000000')).toBe(2_000_000_000);
    for (const bad of [undefined, null, '', 'soon', '-5', 0, -1, 1.5, '1e9', Number.NaN, {}]) {
      expect(credentialExpiryOf(bad)).toBeUndefined();
    }
  });

  it.each([
    ['no header', undefined],
    ['no stepwise.v1', `bearer.${Buffer.from('sw_x').toString('base64url')}`],
    ['no bearer', 'stepwise.v1'],
    ['an unknown key', protocols('sw_notAKeyThatExists0000000000000000')],
    ['a JWT with JWT auth off', protocols('eyJhbGciOiJIUzI1NiJ9.e30.x')],
  ])('denies %s with a Deny policy (403), never an error', async (_case, header) => {
    const decision = await decideConnect(
      { methodArn, headers: header === undefined ? {} : { 'sec-websocket-protocol': header } },
      { apiKeys: new InMemoryApiKeyStore() },
    );
    expect(decision.response.policyDocument.Statement).toEqual([
      expect.objectContaining({ Effect: 'Deny', Resource: methodArn }),
    ]);
    expect(decision.denied?.denied).toBeTruthy();
  });

  it('refuses two bearer subprotocols and one that is not base64url', () => {
    expect(credentialOfProtocols('stepwise.v1, bearer.YQ, bearer.Yg')).toMatchObject({
      denied: expect.any(String),
    });
    expect(credentialOfProtocols('stepwise.v1, bearer.a+b=')).toMatchObject({ denied: expect.any(String) });
  });
});
