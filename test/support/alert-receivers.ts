// A loopback HTTP receiver standing in for Slack and for a customer's webhook endpoint: it records every
// request (path, headers, raw body) and answers each path with the statuses scripted for it, then 200.
// Channels reach it as http://localhost:<port>/<path>: the e2e stack allowlists the host `localhost`
// (OUTBOUND_ALLOWED_HOSTS), as a deployment would allowlist an internal receiver.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface AlertReceiver {
  /** The URL a channel posts to for `path`. */
  url(path: string): string;
  /** The statuses the next requests to `path` get, in order; later ones get 200. */
  script(path: string, statuses: readonly number[]): void;
  /** Requests received on `path`, oldest first. */
  received(path: string): ReceivedRequest[];
  close(): Promise<void>;
}

export async function startAlertReceiver(): Promise<AlertReceiver> {
  const requests: ReceivedRequest[] = [];
  const scripts = new Map<string, number[]>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = new URL(request.url ?? '/', 'http://receiver').pathname;
      requests.push({ path, headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      const status = scripts.get(path)?.shift() ?? 200;
      response.writeHead(status, { 'content-type': 'text/plain' });
      response.end(status === 200 ? 'ok' : 'scripted failure');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `http://localhost:${port}${path}`,
    script: (path, statuses) => scripts.set(path, [...statuses]),
    received: (path) => requests.filter((request) => request.path === path),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
