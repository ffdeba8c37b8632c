// What live updates add to a step on the local stack: the fan-out of a step's two events (RUNNING and
// SUCCEEDED, posted in order) as the step runner's flush waits for it, with nobody listening (one Query
// of the task's subscription partition per event) and with 1 and 10 WebSocket listeners (plus a POST to
// @connections per listener). The fan-out starts right after each write, so this is an upper bound of
// what a writer waits at its return.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StepLiveEvent } from '../functions/shared/live/live-event';
import { startLocalStack } from '../local/stack';
import { liveProtocols, openLiveSocket } from '../test/support/live-socket';
import { ms, summarize } from './stats';

const ROUNDS = 200;

export async function benchLiveFanout(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'stepwise-bench-live-'));
  const stack = await startLocalStack({ dataDir, apiPort: 0, logLevel: 'ERROR', schedules: false });
  const sockets: Awaited<ReturnType<typeof openLiveSocket>>[] = [];
  try {
    const { api, live } = stack.endpoints;
    const call = async (method: string, path: string, body?: unknown) =>
      (await (
        await fetch(`${api}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${stack.credentials.apiKey}`,
            'content-type': 'application/json',
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        })
      ).json()) as Record<string, unknown>;
    // A task that stays RUNNING (a long wait), for listeners to subscribe to.
    await call('POST', '/workflows', {
      id: 'bench_live',
      version: 1,
      name: 'bench live',
      steps: [{ id: 'pause', type: 'wait', seconds: 600 }],
    });
    const taskId = String((await call('POST', '/tasks', { workflowId: 'bench_live' })).taskId);
    // Loaded after the stack has set the handlers' environment (Powertools, LIVE_ENDPOINT), as a handler is.
    const { livePublisher } = await import('../functions/shared/live/live-clients');
    const publisher = livePublisher();
    const step = (status: StepLiveEvent['status'], round: number): StepLiveEvent => ({
      kind: 'step',
      org: stack.credentials.orgId,
      taskId,
      stepId: `bench${round}`,
      status,
      attempt: 1,
      at: new Date().toISOString(),
    });
    for (const listeners of [0, 1, 10]) {
      while (sockets.length < listeners) {
        const socket = await openLiveSocket(live, liveProtocols(stack.credentials.apiKey));
        await socket.request({ action: 'subscribe', topic: 'task', taskId });
        sockets.push(socket);
      }
      const samples: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const started = performance.now();
        publisher.publish(step('RUNNING', round));
        publisher.publish(step('SUCCEEDED', round));
        await publisher.flush();
        samples.push(performance.now() - started);
      }
      const { p50, p99, max } = summarize(samples);
      const delivered = sockets.reduce((sum, socket) => sum + socket.messages.length, 0);
      console.log(
        `live fan-out per step (2 events, ${listeners} listener${listeners === 1 ? '' : 's'}): p50 ${ms(p50)}, p99 ${ms(p99)}, max ${ms(max)} over ${ROUNDS} steps${listeners > 0 ? `; ${delivered} messages delivered` : ''}`,
      );
      for (const socket of sockets) socket.messages.length = 0;
    }
    await call('POST', `/tasks/${taskId}/cancel`);
  } finally {
    await Promise.all(sockets.map((socket) => socket.close()));
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
