// Every listener of the local stack is on loopback, as the README says: none answers on the machine's
// network address (fauxqs, the SQS/SNS emulator, bound every interface until it was patched to take
// listenHost), so nobody else on the network reaches the queues, the table or the task tokens.

import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { describe, expect, inject, it } from 'vitest';

const endpoints = inject('endpoints');

/** The machine's first address that is not loopback, if it has one. */
const external = Object.values(networkInterfaces())
  .flat()
  .find((address) => address && !address.internal && address.family === 'IPv4')?.address;

/** Whether a TCP connection to host:port is accepted. */
const accepts = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host, port, timeout: 2_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });

describe.runIf(external)('the local stack on the network', () => {
  it('answers on loopback only, every endpoint', async () => {
    const urls = {
      api: endpoints.api,
      dynamodb: endpoints.dynamodb,
      sqs: endpoints.sqs,
      stepfunctions: endpoints.stepfunctions,
      lambda: endpoints.lambda,
      secretsmanager: endpoints.secretsmanager,
    };
    for (const [name, url] of Object.entries(urls)) {
      const port = Number(new URL(url).port);
      expect(await accepts('127.0.0.1', port), `${name} on loopback`).toBe(true);
      expect(await accepts(external ?? '', port), `${name} on ${external}`).toBe(false);
    }
  });
});
