// The console as the local API port serves it: files with their types and cache headers, the SPA
// fallback, config.json for the address the browser used, the deployed security headers, and nothing
// outside dist.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsoleAssets } from '../../../local/console-assets';
import { closeServer, listen } from '../../../local/listen';

describe('console assets', () => {
  let root: string;
  let server: Server;
  let url: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'console-assets-'));
    const dist = join(root, 'dist');
    await mkdir(join(dist, 'assets'), { recursive: true });
    await writeFile(join(dist, 'index.html'), '<!doctype html><title>console</title>');
    await writeFile(join(dist, 'assets', 'index-abc.js'), 'console.log(1)');
    await writeFile(join(dist, 'assets', 'index-abc.css'), 'body{}');
    await writeFile(join(root, 'secret.txt'), 'outside dist');
    const serve = createConsoleAssets({ distDir: dist, apiUrl: () => 'http://127.0.0.1:9' });
    server = createServer((request, response) => {
      void serve(request, response, (request.url ?? '/').split('?')[0] ?? '/').then((handled) => {
        if (!handled) response.writeHead(418).end();
      });
    });
    url = await listen(server, 0, '127.0.0.1');
  });
  afterAll(async () => {
    await closeServer(server);
    await rm(root, { recursive: true, force: true });
  });

  it('serves hashed assets with their content type, cached for good', async () => {
    const js = await fetch(`${url}/console/assets/index-abc.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await js.text()).toBe('console.log(1)');
    const css = await fetch(`${url}/console/assets/index-abc.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('answers index.html, revalidated, for the app routes, and 404 for a missing asset', async () => {
    for (const path of ['/console/', '/console/tasks', '/console/tasks/0b7f-1?status=FAILED']) {
      const page = await fetch(`${url}${path}`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('cache-control')).toBe('no-cache');
      expect(await page.text()).toContain('<title>console</title>');
    }
    expect((await fetch(`${url}/console/assets/gone-123.js`)).status).toBe(404);
    const bare = await fetch(`${url}/console`, { redirect: 'manual' });
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/console/');
  });

  it("sends the deployed console's security headers for the host the browser used, without HSTS over HTTP", async () => {
    const host = new URL(url).host;
    for (const path of ['/console/', '/console/tasks/0b7f-1', '/console/assets/index-abc.js']) {
      const response = await fetch(`${url}${path}`);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain(`connect-src 'self' http://${host} ws://${host}/live;`);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('strict-transport-security')).toBeNull();
    }
  });

  it('writes config.json for the host the browser used, with the /live WebSocket beside the API', async () => {
    const config = await fetch(`${url}/console/config.json`);
    expect(config.headers.get('cache-control')).toBe('no-cache');
    const host = new URL(url).host;
    expect(await config.json()).toEqual({ apiUrl: `http://${host}`, liveUrl: `ws://${host}/live` });
  });

  it('never serves a file outside dist, and leaves other paths to the API', async () => {
    const escaped = await fetch(`${url}/console/..%2fsecret.txt`);
    expect(await escaped.text()).not.toContain('outside dist');
    expect((await fetch(`${url}/tasks`)).status).toBe(418);
    expect((await fetch(`${url}/consoles`)).status).toBe(418);
    expect((await fetch(`${url}/console/tasks`, { method: 'POST' })).status).toBe(418);
  });
});
