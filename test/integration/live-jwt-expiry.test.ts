// A WebSocket connection opened with a JWT ends with the token, through the whole path: a stack of its own
// (`npm start`) configured with an issuer whose keys a test server publishes, the $connect authorizer
// handing the token's exp on, the live function recording it, and the connection refused once it passed.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { CREDENTIAL_EXPIRED } from '../../functions/shared/live/live-expiry';
import { closeServer, listen } from '../../local/listen';
import { liveProtocols, openLiveSocket, refusedStatus } from '../support/live-socket';
import {
  killAllStackProcesses,
  type StackProcess,
  startStackProcess,
  stopStackProcess,
} from '../support/stack-process';

const AUDIENCE = 'stepwise-live-test';
const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  await killAllStackProcesses();
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** An issuer: its JWKS served over HTTP, and tokens it signs for an org's ADMIN, expiring in `seconds`. */
async function startIssuer() {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const server: Server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ keys: [jwk] }));
  });
  const url = await listen(server, 0, '127.0.0.1');
  cleanups.push(() => closeServer(server));
  const sign = (seconds: number) =>
    new SignJWT({ 'cognito:groups': ['stepwise:jwt-org:ADMIN'] })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(url)
      .setAudience(AUDIENCE)
      .setSubject('user-1')
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + seconds)
      .sign(privateKey);
  return { url, sign };
}

describe('a live connection opened with a JWT', () => {
  it('hears and subscribes until the token expires, then is refused, as is the token over HTTP', async () => {
    const issuer = await startIssuer();
    const dataDir = await mkdtemp(join(tmpdir(), 'stepwise-jwt-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const stack: StackProcess = await startStackProcess(dataDir, {
      AUTH_JWT_ISSUER: issuer.url,
      AUTH_JWT_AUDIENCE: AUDIENCE,
      AUTH_JWT_JWKS_URI: `${issuer.url}/jwks.json`,
    });
    const token = await issuer.sign(2);
    const me = await fetch(`${stack.endpoints.api}/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);

    const live = await openLiveSocket(stack.endpoints.live, liveProtocols(token));
    expect(await live.request({ action: 'subscribe', topic: 'tasks' })).toMatchObject({
      type: 'subscribed',
      org: 'jwt-org',
    });
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
      exp: number;
    };
    // Accepted up to its exp and the 5 s clock tolerance, over HTTP and here alike.
    const refusedFrom = (claims.exp + 5) * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, refusedFrom - 1_500 - Date.now())));
    expect(await live.request({ action: 'subscribe', topic: 'alerts' })).toMatchObject({
      type: 'subscribed',
    });
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, refusedFrom + 1_100 - Date.now())));

    expect(await live.request({ action: 'subscribe', topic: 'tasks' })).toEqual({
      type: 'error',
      message: CREDENTIAL_EXPIRED,
    });
    const expired = await fetch(`${stack.endpoints.api}/me`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(expired.status).toBe(401);
    expect(await refusedStatus(stack.endpoints.live, liveProtocols(token))).toBe(403);
    await live.close();
    expect(await stopStackProcess(stack.child)).toBe(0);
  });
});
