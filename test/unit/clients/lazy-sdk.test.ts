// A lazy SDK client sends the SDK's own command for a recorded one, against a tiny Secrets Manager
// (JSON 1.1) answering over HTTP here: the SDK package is loaded and the client created on the first send.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSecretsManagerClient,
  GetSecretValueCommand,
  type SecretsManagerClient,
} from '../../../functions/shared/clients/secrets-manager';
import { serviceCommand } from '../../../functions/shared/clients/service-command';

interface Received {
  readonly target: string | undefined;
  readonly body: Record<string, unknown>;
}

describe('a lazy SDK client', () => {
  let server: Server;
  let client: SecretsManagerClient;
  const received: Received[] = [];

  beforeAll(async () => {
    server = createServer(async (request: IncomingMessage, response) => {
      let text = '';
      for await (const chunk of request) text += chunk;
      const body = JSON.parse(text) as Record<string, unknown>;
      received.push({ target: request.headers['x-amz-target'] as string | undefined, body });
      response.setHeader('content-type', 'application/x-amz-json-1.1');
      if (body.SecretId === 'missing') {
        response.statusCode = 400;
        response.end(JSON.stringify({ __type: 'ResourceNotFoundException', message: 'no such secret' }));
        return;
      }
      response.end(JSON.stringify({ ARN: 'arn:secret', Name: body.SecretId, SecretString: 'the value' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    client = createSecretsManagerClient({
      region: 'eu-west-1',
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      credentials: { accessKeyId: 'a', secretAccessKey: 's' },
    });
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it("sends the operation's SDK command with its input and returns the SDK's output", async () => {
    const output = await client.send(new GetSecretValueCommand({ SecretId: 'stepwise/a' }));
    expect(output).toMatchObject({ ARN: 'arn:secret', Name: 'stepwise/a', SecretString: 'the value' });
    expect(output.$metadata.httpStatusCode).toBe(200);
    expect(received.at(-1)).toEqual({
      target: 'secretsmanager.GetSecretValue',
      body: { SecretId: 'stepwise/a' },
    });
  });

  it("throws the service's error with its name and HTTP status", async () => {
    const error = await client.send(new GetSecretValueCommand({ SecretId: 'missing' })).catch((e) => e);
    expect(error).toMatchObject({ name: 'ResourceNotFoundException', message: 'no such secret' });
    expect(error.$metadata.httpStatusCode).toBe(400);
  });

  it('refuses an operation the SDK package does not have, naming it', async () => {
    const NoSuchCommand = serviceCommand<'secretsmanager', object, object>('secretsmanager', 'NoSuch');
    await expect(client.send(new NoSuchCommand({}))).rejects.toThrow(
      'The secretsmanager SDK has no NoSuchCommand',
    );
  });
});
