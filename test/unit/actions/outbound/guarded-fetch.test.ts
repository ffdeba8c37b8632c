// How guardedFetch follows redirects (checked per hop in outbound/ssrf.test.ts): method and body as fetch
// rewrites them, credentials kept to their origin, a bounded count, one resolution per connection.
import type { IncomingMessage } from 'node:http';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseAllowedHosts } from '../../../../functions/shared/actions/outbound/allowed-hosts';
import {
  guardedFetch,
  MAX_REDIRECTS,
  type OutboundPolicy,
} from '../../../../functions/shared/actions/outbound/guarded-fetch';
import { loopbackServer } from './loopback-only';

const received: {
  host?: string;
  method?: string;
  url?: string;
  body: string;
  headers: IncomingMessage['headers'];
  /** The client's port: the same on a kept connection. */
  clientPort?: number;
}[] = [];

const server = loopbackServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => {
    body += chunk;
  });
  req.on('end', () => {
    received.push({
      host: req.headers.host,
      method: req.method,
      url: req.url,
      body,
      headers: req.headers,
      clientPort: req.socket.remotePort,
    });
    const url = new URL(req.url ?? '/', 'http://x');
    const to = url.searchParams.get('to');
    const status = Number(url.searchParams.get('status') ?? 302);
    if (url.pathname === '/bare') {
      res.writeHead(301);
      res.end('moved, no location');
    } else if (url.pathname === '/loop') {
      res.writeHead(302, { location: '/loop' });
      res.end();
    } else if (to) {
      res.writeHead(status, { location: to });
      res.end();
    } else {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('done');
    }
  });
});

beforeEach(() => {
  received.length = 0;
});

const resolved: string[] = [];
const policy = (): OutboundPolicy => ({
  allowedHosts: parseAllowedHosts(`a.example:${server.port}, b.example:${server.port}`),
  resolve: async (hostname) => {
    resolved.push(hostname);
    return [{ address: '127.0.0.1', family: 4 }];
  },
});
const redirect = (host: string, to: string, status = 302) =>
  `http://${host}:${server.port}/start?status=${status}&to=${encodeURIComponent(to)}`;

describe('guardedFetch', () => {
  it('turns a POST into a GET without its body on a 302 and on a 303', async () => {
    for (const status of [302, 303]) {
      received.length = 0;
      const response = await guardedFetch(
        redirect('a.example', '/next', status),
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' },
        policy(),
      );
      expect(await response.text()).toBe('done');
      expect(received.map((r) => r.method)).toEqual(['POST', 'GET']);
      expect(received[1]).toMatchObject({ url: '/next', body: '' });
      expect(received[1]?.headers['content-type']).toBeUndefined();
    }
  });

  it('keeps the method and body on a 307', async () => {
    await guardedFetch(redirect('a.example', '/next', 307), { method: 'PUT', body: 'payload' }, policy());
    expect(received.map((r) => [r.method, r.body])).toEqual([
      ['PUT', 'payload'],
      ['PUT', 'payload'],
    ]);
  });

  it('drops the Authorization header when a redirect leaves the origin', async () => {
    const headers = { authorization: 'Bearer sk-secret', 'x-trace': 't' };
    await guardedFetch(redirect('a.example', `http://a.example:${server.port}/same`), { headers }, policy());
    await guardedFetch(redirect('a.example', `http://b.example:${server.port}/other`), { headers }, policy());
    expect(received.map((r) => [r.host, r.headers.authorization, r.headers['x-trace']])).toEqual([
      [`a.example:${server.port}`, 'Bearer sk-secret', 't'],
      [`a.example:${server.port}`, 'Bearer sk-secret', 't'],
      [`a.example:${server.port}`, 'Bearer sk-secret', 't'],
      [`b.example:${server.port}`, undefined, 't'],
    ]);
  });

  it(`follows ${MAX_REDIRECTS} redirects and fails with TooManyRedirects on the next`, async () => {
    const error = await guardedFetch(`http://a.example:${server.port}/loop?token=secret`, {}, policy()).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ name: 'TooManyRedirects', maxRedirects: MAX_REDIRECTS });
    expect((error as Error).message).toBe(
      `http://a.example:${server.port}/loop redirected more than 5 times`,
    );
    expect(received).toHaveLength(MAX_REDIRECTS + 1);
  });

  it('resolves each hop once, in the connection itself, so the checked address is the one connected', async () => {
    resolved.length = 0;
    await guardedFetch(redirect('a.example', `http://b.example:${server.port}/x`), {}, policy());
    expect(resolved).toEqual(['a.example', 'b.example']);
  });

  it("keeps a keepAlive policy's connection for its next request, checked once; one per request otherwise", async () => {
    const url = `http://a.example:${server.port}/plain`;
    const kept = { ...policy(), keepAlive: true };
    resolved.length = 0;
    for (let i = 0; i < 3; i++) await (await guardedFetch(url, {}, kept)).text();
    expect(resolved).toEqual(['a.example']);
    expect(new Set(received.map((r) => r.clientPort)).size).toBe(1);
    received.length = 0;
    resolved.length = 0;
    const plain = policy();
    for (let i = 0; i < 3; i++) await (await guardedFetch(url, {}, plain)).text();
    expect(resolved).toEqual(['a.example', 'a.example', 'a.example']);
    expect(new Set(received.map((r) => r.clientPort)).size).toBe(3);
    // Another policy object does not take the kept connection: it checks its own.
    resolved.length = 0;
    await (await guardedFetch(url, {}, { ...policy(), keepAlive: true })).text();
    expect(resolved).toEqual(['a.example']);
  });

  it('returns a redirect without a Location as it is', async () => {
    const response = await guardedFetch(`http://a.example:${server.port}/bare`, {}, policy());
    expect(response.status).toBe(301);
    expect(await response.text()).toBe('moved, no location');
  });

  it('fails a redirect to another scheme as a network error', async () => {
    await expect(
      guardedFetch(redirect('a.example', 'file:///etc/passwd'), {}, policy()),
    ).rejects.toMatchObject({
      name: 'TypeError',
      message: 'fetch failed',
      cause: { message: 'Redirect to an unusable location: file:///etc/passwd' },
    });
  });

  it('rejects with the abort reason when the signal fires during the body', async () => {
    const controller = new AbortController();
    const response = await guardedFetch(
      `http://a.example:${server.port}/done`,
      { signal: controller.signal },
      policy(),
    );
    controller.abort(new DOMException('too slow', 'TimeoutError'));
    await expect(response.text()).rejects.toMatchObject({ name: 'TimeoutError' });
  });
});
