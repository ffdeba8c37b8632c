// A worker whose network swallows its requests for a while (a black hole: a NAT or load balancer that
// dropped the connection, a frozen host in between): no answer and no error ever comes to what it sent.
// A TCP proxy between the worker and Step Functions takes the worker's requests without passing them on
// while the hole lasts; requests made after it pass. The worker must give up on the swallowed ones and go
// on taking steps, not hold a slot for ever. Needs the embedded stack: skipped against a deployment.
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { registerWorkflow, request, waitForTask } from './http-client';
import { scriptedAgentWorkflow } from './workers/scripted-agent-workflow';
import { startWorker, stopAllWorkers } from './workers/worker-process';

const stack = inject('stack');
const TYPE = 'network-e2e';

/** Forwards to `port`; while `hole` is set, what a client sends is dropped and its connection left open. */
async function blackHoleProxy(port: number) {
  const sockets = new Set<Socket>();
  const state = { hole: false, swallowed: 0 };
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    let dead = false;
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('data', (chunk) => {
      // A request swallowed leaves its connection without an answer for good, as a black hole does.
      if (state.hole || dead) {
        dead = true;
        state.swallowed += 1;
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    upstream.on('close', () => client.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    state,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

afterAll(stopAllWorkers);

describe.skipIf(!stack)('a worker behind a network that black-holes its requests', () => {
  it('gives up on the swallowed calls and runs the steps that come after the hole', async () => {
    const endpoints = stack as NonNullable<typeof stack>;
    const proxy = await blackHoleProxy(
      Number(new URL(endpoints.environment.AWS_ENDPOINT_URL_SFN ?? '').port),
    );
    try {
      const workflowId = await registerWorkflow(scriptedAgentWorkflow('black_hole', TYPE));
      // One slot: a call that hangs for good in it would leave the worker taking nothing again.
      const worker = startWorker('test/e2e/workers/scripted-worker.ts', {
        type: TYPE,
        concurrency: 1,
        environment: { AWS_ENDPOINT_URL_SFN: proxy.url },
      });
      await worker.workerId();
      proxy.state.hole = true;
      const first = await request<{ taskId: string }>('POST', '/tasks', {
        workflowId,
        input: { workMs: 200 },
      });
      expect(first.status).toBe(201);
      // The claim's token check (a SendTaskHeartbeat) goes into the hole.
      await expect.poll(() => proxy.state.swallowed, { timeout: 20_000 }).toBeGreaterThan(0);
      await sleep(1_000);
      proxy.state.hole = false;
      const second = await request<{ taskId: string }>('POST', '/tasks', {
        workflowId,
        input: { workMs: 200 },
      });
      expect(second.status).toBe(201);

      const tasks = await Promise.all(
        [first.body.taskId, second.body.taskId].map((taskId) => waitForTask(taskId, 70_000)),
      );
      expect(tasks.map((task) => task.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    } finally {
      proxy.close();
    }
  });
});
