// Small helpers for the loopback servers of the local stack.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export async function listen(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return `http://${host}:${address.port}`;
}

/**
 * Listens on `preferred` when it is free (the port a data folder's last run had, so that clients holding
 * its endpoints.json, such as a running worker, reach the restarted stack), else on a free port.
 */
export async function listenPreferring(
  server: Server,
  preferred: number | undefined,
  host: string,
): Promise<string> {
  if (preferred) {
    try {
      return await listen(server, preferred, host);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
  return listen(server, 0, host);
}

/**
 * `preferred` if nothing listens on it now, else 0 (any free port): for emulators that open their store
 * before they listen, so a failed listen cannot simply be retried on another port as listenPreferring does.
 */
export async function portIfFree(preferred: number | undefined, host: string): Promise<number> {
  if (!preferred) return 0;
  const probe = createServer();
  try {
    await listen(probe, preferred, host);
  } catch {
    return 0;
  }
  await closeServer(probe);
  return preferred;
}

export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}
