// A safety net for the SSRF tests: they point the guard at private and metadata addresses, and were the
// guard ever broken, the test process would really connect there. While confined, a socket may connect
// only to loopback, whether it was given an IP or resolved a name through its lookup. Also: the server on
// loopback those suites point their requests at.
import { createServer, type RequestListener, type Server } from 'node:http';
import { type AddressInfo, isIP, type LookupFunction, Socket } from 'node:net';
import { afterAll, beforeAll } from 'vitest';

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

function assertLoopback(address: string): void {
  if (isIP(address) && !LOOPBACK.test(address)) {
    throw new Error(`test safety net: refused a connection to ${address}, which is not loopback`);
  }
}

/** Confines every new socket of this process to loopback; returns the function that lifts it. */
export function confineSocketsToLoopback(): () => void {
  const connect = Socket.prototype.connect;
  Socket.prototype.connect = function (this: Socket, ...args: unknown[]) {
    // net.createConnection passes its normalized [options, callback] as the first argument.
    const first = Array.isArray(args[0]) ? args[0][0] : args[0];
    if (first && typeof first === 'object') {
      const options = first as { host?: string; lookup?: LookupFunction };
      if (options.host) assertLoopback(options.host);
      const lookup = options.lookup;
      if (lookup) {
        options.lookup = (hostname, lookupOptions, callback) =>
          lookup(hostname, lookupOptions, (error, address, family) => {
            try {
              for (const entry of Array.isArray(address) ? address : [{ address }])
                assertLoopback(entry.address);
            } catch (violation) {
              return callback(violation as Error, '', 0);
            }
            callback(error, address, family);
          });
      }
    }
    return (connect as (...a: unknown[]) => Socket).apply(this, args);
  } as typeof connect;
  return () => {
    Socket.prototype.connect = connect;
  };
}

/**
 * For the calling suite, from beforeAll to afterAll: sockets confined to loopback, and an HTTP server on
 * 127.0.0.1 answering with `handler`. Its `port` is known once beforeAll has run.
 */
export function loopbackServer(handler: RequestListener): { readonly port: number } {
  let server: Server | undefined;
  let release: (() => void) | undefined;
  beforeAll(async () => {
    release = confineSocketsToLoopback();
    const listening = createServer(handler);
    server = listening;
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    release?.();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });
  return {
    get port() {
      if (!server) throw new Error('loopbackServer: the port is known once beforeAll has run');
      return (server.address() as AddressInfo).port;
    },
  };
}
