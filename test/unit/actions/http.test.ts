import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  HttpClientError,
  HttpStatusError,
  HttpTimeoutError,
  InvalidStepParams,
  OutboundAddressRefused,
} from '../../../functions/shared/actions/errors';
import {
  MAX_OUTPUT_BODY_BYTES,
  runHttpAction,
  TRUNCATION_MARKER,
} from '../../../functions/shared/actions/http';
import { type AllowedHost, parseAllowedHost } from '../../../functions/shared/actions/outbound/allowed-hosts';

type Reply = (req: IncomingMessage, res: ServerResponse, body: string) => void;

// A real HTTP server on a free port; each path answers with its scripted replies in order (the last one
// repeats), and every request is recorded. It listens on loopback, which the outbound-address guard
// refuses, so these tests allowlist its host:port as a deployment would (`allowed`).
let server: Server;
let base: string;
let allowed: AllowedHost;
const scripts = new Map<string, Reply[]>();
const received: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Reply =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const replies = scripts.get(path) ?? [json(404, { error: 'no script' })];
      const reply = (replies.length > 1 ? replies.shift() : replies[0]) as Reply;
      reply(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  allowed = parseAllowedHost(new URL(base).host);
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  scripts.clear();
  received.length = 0;
});

function deps() {
  const delays: number[] = [];
  return {
    delays,
    deps: {
      outbound: { allowedHosts: [allowed] },
      sleep: async (ms: number) => void delays.push(ms),
      random: () => 0.5,
    },
  };
}

describe('runHttpAction', () => {
  it('GETs a URL and returns status, useful headers and the parsed JSON body', async () => {
    scripts.set('/items', [json(200, { items: [1, 2] }, { etag: '"v1"', 'set-cookie': 'secret=1' })]);
    const result = await runHttpAction(
      { url: `${base}/items`, query: { page: 2, tag: ['a', 'b'] } },
      deps().deps,
    );
    expect(result).toMatchObject({ status: 200, body: { items: [1, 2] }, attempts: 1 });
    expect(result.headers).toMatchObject({ 'content-type': 'application/json', etag: '"v1"' });
    expect(result.headers).not.toHaveProperty('set-cookie');
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(received[0]?.url).toBe('/items?page=2&tag=a&tag=b');
  });

  it('sends an object body as JSON with the given method and headers', async () => {
    scripts.set('/orders', [json(201, { id: 'o-1' })]);
    const result = await runHttpAction(
      { method: 'post', url: `${base}/orders`, headers: { 'x-trace': 't-1' }, body: { qty: 3 } },
      deps().deps,
    );
    expect(result).toMatchObject({ status: 201, body: { id: 'o-1' } });
    expect(received[0]).toMatchObject({ method: 'POST', body: '{"qty":3}' });
    expect(received[0]?.headers).toMatchObject({ 'content-type': 'application/json', 'x-trace': 't-1' });
  });

  it('returns a non-JSON body as text', async () => {
    scripts.set('/text', [
      (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('hello');
      },
    ]);
    expect((await runHttpAction({ url: `${base}/text` }, deps().deps)).body).toBe('hello');
  });

  it('retries a 429 after the Retry-After it sent, then succeeds', async () => {
    scripts.set('/limited', [
      json(429, { error: 'slow down' }, { 'retry-after': '2' }),
      json(200, { ok: true }),
    ]);
    const { delays, deps: d } = deps();
    const result = await runHttpAction({ url: `${base}/limited` }, d);
    expect(result).toMatchObject({ status: 200, body: { ok: true }, attempts: 2 });
    expect(delays).toEqual([2_000]);
  });

  it('retries 503 twice then succeeds on the third attempt', async () => {
    scripts.set('/flaky', [json(503, {}), json(503, {}), json(200, { ok: true })]);
    const { delays, deps: d } = deps();
    const result = await runHttpAction({ url: `${base}/flaky`, retry: { jitter: 'none' } }, d);
    expect(result).toMatchObject({ status: 200, attempts: 3 });
    expect(delays).toEqual([1_000, 2_000]);
  });

  it('throws HttpStatusError with the status after the retries run out', async () => {
    scripts.set('/down', [json(500, { error: 'boom' })]);
    const error = await runHttpAction(
      { url: `${base}/down?token=secret`, retry: { maxRetries: 2 } },
      deps().deps,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpStatusError);
    expect(error).toMatchObject({ name: 'HttpStatusError', status: 500, attempts: 3 });
    expect((error as Error).message).not.toContain('secret');
    expect(received).toHaveLength(3);
  });

  it('throws HttpClientError (never retried by the ASL) on a 404, without retrying in the step', async () => {
    scripts.set('/missing', [json(404, { error: 'not found' })]);
    const { delays, deps: d } = deps();
    const error = await runHttpAction({ url: `${base}/missing` }, d).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpClientError);
    expect(error).toMatchObject({ name: 'HttpClientError', status: 404, attempts: 1 });
    expect(received).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it.each([400, 401, 403, 409, 410, 422])('names an unexpected %i HttpClientError', async (status) => {
    scripts.set('/client', [json(status, {})]);
    await expect(runHttpAction({ url: `${base}/client` }, deps().deps)).rejects.toMatchObject({
      name: 'HttpClientError',
      status,
      attempts: 1,
    });
  });

  it.each([408, 429, 503])(
    'retries %i in the step, then names it HttpStatusError (retried by the ASL)',
    async (status) => {
      scripts.set('/busy', [json(status, {})]);
      const error = await runHttpAction({ url: `${base}/busy`, retry: { maxRetries: 1 } }, deps().deps).catch(
        (e: unknown) => e,
      );
      expect(error).not.toBeInstanceOf(HttpClientError);
      expect(error).toMatchObject({ name: 'HttpStatusError', status, attempts: 2 });
    },
  );

  it('accepts the statuses listed in expectedStatus, and does not retry an expected 503', async () => {
    scripts.set('/gone', [json(404, { gone: true })]);
    expect(
      await runHttpAction({ url: `${base}/gone`, expectedStatus: [200, 404] }, deps().deps),
    ).toMatchObject({
      status: 404,
      body: { gone: true },
    });
    scripts.set('/maintenance', [json(503, { maintenance: true })]);
    expect(
      await runHttpAction({ url: `${base}/maintenance`, expectedStatus: 503 }, deps().deps),
    ).toMatchObject({
      status: 503,
      attempts: 1,
    });
  });

  it('fails a 200 when another status is expected', async () => {
    scripts.set('/created', [json(200, {})]);
    await expect(
      runHttpAction({ url: `${base}/created`, expectedStatus: 201 }, deps().deps),
    ).rejects.toMatchObject({
      name: 'HttpStatusError',
      status: 200,
    });
  });

  it('retries an attempt that times out', async () => {
    scripts.set('/slow', [
      (_req, res) => {
        setTimeout(() => json(200, { late: true })(_req, res, ''), 2_000);
      },
      json(200, { fast: true }),
    ]);
    const { delays, deps: d } = deps();
    const result = await runHttpAction({ url: `${base}/slow`, timeoutMs: 300 }, d);
    expect(result).toMatchObject({ status: 200, body: { fast: true }, attempts: 2 });
    expect(delays).toHaveLength(1);
  });

  it('throws HttpTimeoutError when every attempt times out', async () => {
    scripts.set('/hang', [(_req, res) => void setTimeout(() => res.end('late'), 2_000)]);
    await expect(
      runHttpAction({ url: `${base}/hang`, timeoutMs: 30, retry: { maxRetries: 1 } }, deps().deps),
    ).rejects.toMatchObject({ name: 'HttpTimeoutError', attempts: 2 });
    await expect(
      runHttpAction({ url: `${base}/hang`, timeoutMs: 30, retry: { maxRetries: 0 } }, deps().deps),
    ).rejects.toBeInstanceOf(HttpTimeoutError);
  });

  it('retries a refused connection and then throws HttpRequestError', async () => {
    const closed = createServer();
    // Loopback, allowlisted below as the scripted server is.
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { delays, deps: d } = deps();
    await expect(
      runHttpAction(
        { url: `http://127.0.0.1:${port}/`, retry: { maxRetries: 1 } },
        { ...d, outbound: { allowedHosts: [parseAllowedHost(`127.0.0.1:${port}`)] } },
      ),
    ).rejects.toMatchObject({ name: 'HttpRequestError', attempts: 2 });
    expect(delays).toHaveLength(1);
  });

  it('refuses the same server when its host is not allowlisted, at once and without retrying', async () => {
    scripts.set('/items', [json(200, { items: [] })]);
    const { delays, deps: d } = deps();
    const error = await runHttpAction({ url: `${base}/items` }, { ...d, outbound: {} }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OutboundAddressRefused);
    expect(error).toMatchObject({ name: 'OutboundAddressRefused', reason: 'loopback address' });
    expect(received).toEqual([]);
    expect(delays).toEqual([]);
  });

  it('follows a redirect within the allowlisted host and returns the final response', async () => {
    scripts.set('/old', [(_req, res) => res.writeHead(301, { location: '/new' }).end()]);
    scripts.set('/new', [json(200, { moved: true })]);
    const result = await runHttpAction({ url: `${base}/old` }, deps().deps);
    expect(result).toMatchObject({ status: 200, body: { moved: true }, attempts: 1 });
    expect(received.map((r) => r.url)).toEqual(['/old', '/new']);
  });

  it('cuts a body beyond 64 KiB and marks it truncated', async () => {
    scripts.set('/huge', [json(200, { data: 'x'.repeat(MAX_OUTPUT_BODY_BYTES * 2) })]);
    const result = await runHttpAction({ url: `${base}/huge` }, deps().deps);
    expect(result.bodyTruncated).toBe(true);
    expect(typeof result.body).toBe('string');
    const body = result.body as string;
    expect(body.endsWith(TRUNCATION_MARKER)).toBe(true);
    expect(body.length).toBe(MAX_OUTPUT_BODY_BYTES + TRUNCATION_MARKER.length);
    expect(body.startsWith('{"data":"xxx')).toBe(true);
  });

  it.each([
    [{}, 'url'],
    [{ url: 'ftp://example.com/x' }, 'url'],
    [{ url: 'not a url' }, 'url'],
    [{ url: 'https://example.com', method: 'FETCH' }, 'method'],
    [{ url: 'https://example.com', body: { a: 1 } }, 'body'],
    [{ url: 'https://example.com', expectedStatus: 700 }, 'expectedStatus'],
    [{ url: 'https://example.com', timeoutMs: -1 }, 'timeoutMs'],
    [{ url: 'https://example.com', retry: { maxRetries: 'x' } }, 'retry.maxRetries'],
    [{ url: 'https://example.com', headerz: {} }, 'headerz'],
    [{ url: 'https://example.com', headers: { 'x-a': 'b\r\nx-evil: 1' } }, 'headers.x-a'],
    [{ url: 'https://example.com', headers: { 'x-a': 'caf\u0113' } }, 'headers.x-a'],
    [{ url: 'https://example.com', headers: { 'x a': 'b' } }, 'headers.x a'],
  ])('rejects invalid params %j naming the field %s', async (params, field) => {
    const error = await runHttpAction(params as never, deps().deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidStepParams);
    expect(error).toMatchObject({ name: 'InvalidStepParams', field });
    expect((error as Error).message).toContain(field);
  });
});
