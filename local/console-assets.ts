// Serves the built console at /console/ on the local API port, as CloudFront serves it on AWS: files from
// console/dist with their content types, hashed assets cached for good and index.html revalidated, any
// other /console/* path answered with index.html (the SPA routes in the browser), and config.json made
// from the address the browser used, so the console talks to this same origin (API and /live WebSocket);
// every response carries the security headers CloudFront adds (a CSP for that origin, no framing).
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { consoleSecurityHeaders } from '../lib/console-headers';

export const CONSOLE_BASE_PATH = '/console';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The headers CloudFront sends with the console (lib/console-headers.ts) for a stack at `apiUrl`: the same
 * Content-Security-Policy (this API and its WebSocket only), no framing, no referrer. Not HSTS: the local
 * stack speaks plain HTTP, and a host pinned to HTTPS for two years (`localhost` behind a TLS proxy) would
 * break every other local server on it.
 */
export function localConsoleHeaders(apiUrl: string): Record<string, string> {
  const { 'strict-transport-security': _hsts, ...headers } = consoleSecurityHeaders(consoleConfig(apiUrl));
  return headers;
}

/** The console's config.json for a stack whose API answers at `apiUrl` (http://host:port). */
export function consoleConfig(apiUrl: string): { apiUrl: string; liveUrl: string } {
  const base = apiUrl.replace(/\/+$/, '');
  return { apiUrl: base, liveUrl: `${base.replace(/^http/, 'ws')}/live` };
}

export interface ConsoleAssetsOptions {
  readonly distDir: string;
  /** The stack's API URL, used when a request has no Host header. */
  readonly apiUrl: () => string;
}

/**
 * A request handler for GET/HEAD under /console; resolves false for any other request (the API routes
 * take it).
 */
export function createConsoleAssets(options: ConsoleAssetsOptions) {
  return async (request: IncomingMessage, response: ServerResponse, path: string): Promise<boolean> => {
    if (path !== CONSOLE_BASE_PATH && !path.startsWith(`${CONSOLE_BASE_PATH}/`)) return false;
    if (request.method !== 'GET' && request.method !== 'HEAD') return false;
    if (path === CONSOLE_BASE_PATH) {
      response.writeHead(301, { location: `${CONSOLE_BASE_PATH}/` });
      response.end();
      return true;
    }
    let relative: string;
    try {
      relative = decodeURIComponent(path.slice(CONSOLE_BASE_PATH.length + 1));
    } catch {
      relative = '';
    }
    const host = request.headers.host;
    const apiUrl = host ? `http://${host}` : options.apiUrl();
    const write = (status: number, extension: string, body: string | Buffer, cacheControl: string) =>
      writeFile(request, response, status, extension, body, cacheControl, localConsoleHeaders(apiUrl));
    if (relative === 'config.json') {
      write(200, '.json', JSON.stringify(consoleConfig(apiUrl)), 'no-cache');
      return true;
    }
    const file = resolveInside(options.distDir, relative);
    const body = file && !relative.endsWith('/') && relative !== '' ? await readIfFile(file) : undefined;
    if (body) {
      const immutable = relative.startsWith('assets/');
      write(200, extname(file ?? ''), body, immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      return true;
    }
    // A missing asset is a 404: index.html in its place would be parsed as a script or a stylesheet.
    if (relative.startsWith('assets/')) {
      write(404, '.txt', 'Not Found', 'no-cache');
      return true;
    }
    const index = await readIfFile(join(options.distDir, 'index.html'));
    if (!index) {
      write(503, '.txt', 'The console is not built: run `npm start`, which builds it.', 'no-cache');
      return true;
    }
    write(200, '.html', index, 'no-cache');
    return true;
  };
}

/** The file under `root` a relative path names, or undefined when it would leave `root`. */
function resolveInside(root: string, relative: string): string | undefined {
  if (relative.includes('\0')) return undefined;
  const path = normalize(join(root, relative));
  return path === root || path.startsWith(`${root}${sep}`) ? path : undefined;
}

async function readIfFile(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch {
    return undefined;
  }
}

function writeFile(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  extension: string,
  body: string | Buffer,
  cacheControl: string,
  securityHeaders: Record<string, string>,
): void {
  response.writeHead(status, {
    ...securityHeaders,
    'content-type': CONTENT_TYPES[extension] ?? 'application/octet-stream',
    'content-length': Buffer.byteLength(body),
    'cache-control': cacheControl,
  });
  response.end(request.method === 'HEAD' ? undefined : body);
}
