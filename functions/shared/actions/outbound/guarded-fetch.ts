// fetch for URLs a tenant wrote: every connection is checked against refused-addresses.ts unless its
// host is allowlisted. The check sits in the socket's own DNS lookup, so the address checked is the
// address connected to (a name that re-resolves to 127.0.0.1 between a check and the connect cannot slip
// through), and IP literals, which skip the lookup, are checked before connecting. Redirects are
// followed here, one checked connection per hop, at most MAX_REDIRECTS.
//
// Built on node:http(s) rather than the global fetch: Node's fetch (undici) takes a per-request
// `dispatcher` with a custom lookup only from the `undici` package, which would add ~535 KB minified to
// the step runner bundle (726 KB today) for one hook; node:http's `lookup` option is that hook.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import type { ClientRequest, Agent as HttpAgentType, IncomingMessage } from 'node:http';
import { isIP, type LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import { OutboundAddressRefused, TooManyRedirects } from '../errors';
import { type AllowedHost, isAllowedHost } from './allowed-hosts';
import { refusalReason } from './refused-addresses';

export const MAX_REDIRECTS = 5;

// Not `import ... from 'node:http'`: an ES module import of node:http reads every export, and its lazy
// WebSocket getters load Node's undici, ~70 ms of CPU at the step runner's every cold start.
const { request: httpRequest, Agent: HttpAgent } = process.getBuiltinModule('node:http');
const { request: httpsRequest, Agent: HttpsAgent } = process.getBuiltinModule('node:https');

/** Resolves a hostname to every address it has (as dns.lookup with `all: true`). */
export type Resolve = (hostname: string) => Promise<readonly LookupAddress[]>;

export interface OutboundPolicy {
  /** Hosts the deployment allows whatever they resolve to. @default none */
  readonly allowedHosts?: readonly AllowedHost[];
  /** @default the system resolver (dns.lookup) */
  readonly resolve?: Resolve;
  /**
   * Keep connections open for the next requests made with this same policy object (an LLM provider's
   * endpoint, which the deployment configured: a new TLS connection per call costs a handshake's latency).
   * Each connection is still checked when it is made, and a kept one stays on the address checked then.
   * Off for URLs a tenant wrote: one connection per request. @default false
   */
  readonly keepAlive?: boolean;
}

/** The keep-alive agents of each keepAlive policy: a socket is reused only under the policy that checked it. */
const keptAgents = new WeakMap<OutboundPolicy, { 'http:': HttpAgentType; 'https:': HttpAgentType }>();

function agentFor(policy: OutboundPolicy, protocol: string): HttpAgentType | false {
  if (!policy.keepAlive) return false;
  let agents = keptAgents.get(policy);
  if (!agents) {
    agents = { 'http:': new HttpAgent({ keepAlive: true }), 'https:': new HttpsAgent({ keepAlive: true }) };
    keptAgents.set(policy, agents);
  }
  return protocol === 'https:' ? agents['https:'] : agents['http:'];
}

export interface OutboundRequestInit {
  readonly method?: string;
  readonly headers?: Headers | Readonly<Record<string, string>>;
  readonly body?: string;
  readonly signal?: AbortSignal;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const NULL_BODY_STATUSES = new Set([204, 205, 304]);
// Dropped on a redirect to another origin (as fetch does), so a credential never follows it there.
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie'];
const BODY_HEADERS = [
  'content-type',
  'content-length',
  'content-encoding',
  'content-language',
  'content-location',
];

const systemResolve: Resolve = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))),
  );

/**
 * Like fetch(url, init) with `redirect: 'manual'` handled here: returns the final response, rejects with
 * OutboundAddressRefused before connecting to a refused address, TooManyRedirects past MAX_REDIRECTS,
 * the signal's reason when it aborts, and `TypeError('fetch failed')` (with the cause) on a network error,
 * as fetch does.
 */
export async function guardedFetch(
  url: string,
  init: OutboundRequestInit = {},
  policy: OutboundPolicy = {},
): Promise<Response> {
  let current = new URL(url);
  let method = (init.method ?? 'GET').toUpperCase();
  let body = init.body;
  const headers = new Headers(init.headers);
  for (let redirects = 0; ; redirects++) {
    const response = await send(current, { method, headers, body, signal: init.signal }, policy);
    const location = response.headers.get('location');
    if (!REDIRECT_STATUSES.has(response.status) || location === null) return response;
    await response.body?.cancel();
    if (redirects === MAX_REDIRECTS) throw new TooManyRedirects(describeUrl(new URL(url)), MAX_REDIRECTS);
    const next = parseRedirect(location, current);
    if (next.origin !== current.origin) for (const name of CREDENTIAL_HEADERS) headers.delete(name);
    if (
      (response.status === 303 && method !== 'HEAD') ||
      ((response.status === 301 || response.status === 302) && method === 'POST')
    ) {
      method = 'GET';
      body = undefined;
      for (const name of BODY_HEADERS) headers.delete(name);
    }
    current = next;
  }
}

function parseRedirect(location: string, base: URL): URL {
  const next = URL.canParse(location, base.href) ? new URL(location, base) : undefined;
  if (!next || (next.protocol !== 'http:' && next.protocol !== 'https:')) {
    throw new TypeError('fetch failed', {
      cause: new Error(`Redirect to an unusable location: ${location}`),
    });
  }
  return next;
}

/**
 * One request, on its own connection unless the policy keeps them (a kept socket was checked when it was
 * made, under the same policy, and stays on that address).
 */
function send(
  url: URL,
  init: OutboundRequestInit & { readonly headers: Headers },
  policy: OutboundPolicy,
): Promise<Response> {
  const { signal } = init;
  if (signal?.aborted) return Promise.reject(signal.reason);
  const allowed = isAllowedHost(url, policy.allowedHosts ?? []);
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(hostname) && !allowed) {
    const reason = refusalReason(hostname);
    if (reason) return Promise.reject(new OutboundAddressRefused(url.host, hostname, reason));
  }
  const headers: Record<string, string> = { accept: '*/*', 'user-agent': 'stepwise' };
  for (const [name, value] of init.headers) headers[name] = value;
  if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));

  return new Promise((resolve, reject) => {
    let request: ClientRequest;
    const onAbort = () => request.destroy(signal?.reason);
    try {
      request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
        method: init.method,
        headers,
        agent: agentFor(policy, url.protocol),
        lookup: guardedLookup(url.host, allowed, policy.resolve ?? systemResolve),
      });
    } catch (error) {
      reject(new TypeError('fetch failed', { cause: error }));
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    request.on('error', (error) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) reject(signal.reason);
      else if (error instanceof OutboundAddressRefused) reject(error);
      else reject(new TypeError('fetch failed', { cause: error }));
    });
    request.on('response', (message) => {
      // From here the abort (the per-attempt timeout) ends the body stream instead.
      signal?.removeEventListener('abort', onAbort);
      const abortBody = () => message.destroy(signal?.reason);
      signal?.addEventListener('abort', abortBody, { once: true });
      message.once('close', () => signal?.removeEventListener('abort', abortBody));
      try {
        resolve(toResponse(message));
      } catch (error) {
        message.destroy();
        reject(new TypeError('fetch failed', { cause: error }));
      }
    });
    request.end(init.body);
  });
}

function guardedLookup(host: string, allowed: boolean, resolve: Resolve): LookupFunction {
  return (hostname: string, options: LookupOptions, callback) => {
    resolve(hostname).then(
      (found) => {
        const addresses = found.filter(({ family }) => !options.family || family === options.family);
        if (!allowed) {
          for (const { address } of addresses) {
            const reason = refusalReason(address);
            if (reason) return callback(new OutboundAddressRefused(host, address, reason), '', 0);
          }
        }
        const [first] = addresses;
        if (!first) {
          const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
          return callback(error, '', 0);
        }
        // With autoSelectFamily (Node's default) the socket asks for every address.
        if (options.all) return (callback as (e: null, a: LookupAddress[]) => void)(null, addresses);
        callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

function toResponse(message: IncomingMessage): Response {
  const status = message.statusCode ?? 0;
  const headers = new Headers();
  for (let i = 0; i + 1 < message.rawHeaders.length; i += 2) {
    headers.append(message.rawHeaders[i] as string, message.rawHeaders[i + 1] as string);
  }
  if (NULL_BODY_STATUSES.has(status)) {
    message.resume();
    return new Response(null, { status, statusText: message.statusMessage, headers });
  }
  const body = Readable.toWeb(message) as ReadableStream<Uint8Array>;
  return new Response(body, { status, statusText: message.statusMessage, headers });
}

/** The URL without its query or credentials, which may hold secrets, for error messages. */
export function describeUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}
