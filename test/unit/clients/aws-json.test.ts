// The lean AWS JSON-protocol client against small local servers: what it sends (a SigV4 signature checked
// here by an independent implementation of the algorithm), how it reads errors, when it retries, and the
// embedded stack's in-process transport taking precedence over HTTP.
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AwsJsonClient,
  type AwsJsonService,
  AwsServiceError,
  resolveEndpoint,
} from '../../../functions/shared/clients/aws-json';
import { registerInProcessTransport } from '../../../functions/shared/clients/in-process-transport';
import { closeServer, listen } from '../../../local/listen';

const SERVICE: AwsJsonService = {
  signingName: 'dynamodb',
  targetPrefix: 'DynamoDB_20120810',
  jsonVersion: '1.0',
  endpointEnvName: 'DYNAMODB',
  traceName: 'DynamoDB',
};
const CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};

interface Received {
  readonly headers: IncomingMessage['headers'];
  readonly method: string;
  readonly url: string;
  readonly body: string;
}

type Answer = (request: Received, res: ServerResponse, index: number) => void;

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map(closeServer));
});

/** A server answering the n-th request with `answers[n]` (the last one repeats); what it received. */
async function stub(...answers: Answer[]): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        headers: req.headers,
        method: req.method ?? '',
        url: req.url ?? '',
        body: Buffer.concat(chunks).toString(),
      };
      received.push(request);
      const index = received.length - 1;
      (answers[Math.min(index, answers.length - 1)] as Answer)(request, res, index);
    });
  });
  servers.push(server);
  return { url: await listen(server, 0, '127.0.0.1'), received };
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Answer =>
  (_request, res) => {
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.0',
      'x-amzn-requestid': 'req-1',
      ...headers,
    });
    res.end(JSON.stringify(body));
  };

const client = (endpoint: string, options: Partial<ConstructorParameters<typeof AwsJsonClient>[1]> = {}) =>
  new AwsJsonClient(SERVICE, {
    endpoint,
    region: 'eu-west-1',
    credentials: CREDENTIALS,
    retryBaseMs: 1,
    ...options,
  });

// SigV4 written out from the AWS documentation, independently of the signer the client uses.
function expectedSignature(request: Received, secret: string): string {
  const authorization = String(request.headers.authorization);
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)?.[1] ?? '';
  const scope = /Credential=[^/]+\/([^,]+)/.exec(authorization)?.[1] ?? '';
  const [day, region, service] = scope.split('/') as [string, string, string];
  const canonicalHeaders = signedHeaders
    .split(';')
    .map((name) => `${name}:${String(request.headers[name]).trim()}\n`)
    .join('');
  const hash = (text: string) => createHash('sha256').update(text).digest('hex');
  const canonicalRequest = [
    request.method,
    request.url,
    '',
    canonicalHeaders,
    signedHeaders,
    hash(request.body),
  ].join('\n');
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    request.headers['x-amz-date'],
    scope,
    hash(canonicalRequest),
  ].join('\n');
  const hmac = (key: string | Buffer, text: string) => createHmac('sha256', key).update(text).digest();
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), service), 'aws4_request');
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

describe('AwsJsonClient', () => {
  it('posts the input as JSON with the target and a valid SigV4 signature, and answers the output', async () => {
    const { url, received } = await stub(json(200, { Item: { pk: { S: 'a' } } }));
    const output = await client(url, { credentials: { ...CREDENTIALS, sessionToken: 'session-1' } }).call(
      'GetItem',
      { TableName: 't', Key: { pk: { S: 'a' } } },
    );

    expect(output).toEqual({
      Item: { pk: { S: 'a' } },
      $metadata: { httpStatusCode: 200, requestId: 'req-1', attempts: 1, totalRetryDelay: 0 },
    });
    const [request] = received as [Received];
    expect(request.method).toBe('POST');
    expect(JSON.parse(request.body)).toEqual({ TableName: 't', Key: { pk: { S: 'a' } } });
    expect(request.headers['x-amz-target']).toBe('DynamoDB_20120810.GetItem');
    expect(request.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(request.headers['x-amz-security-token']).toBe('session-1');
    const authorization = String(request.headers.authorization);
    expect(authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/dynamodb\/aws4_request, /,
    );
    expect(authorization).toMatch(/SignedHeaders=[^,]*content-type;host;[^,]*x-amz-date;[^,]*x-amz-target/);
    expect(/Signature=([0-9a-f]{64})$/.exec(authorization)?.[1]).toBe(
      expectedSignature(request, CREDENTIALS.secretAccessKey),
    );
  });

  it('reads credentials from the Lambda environment by default', async () => {
    const { url, received } = await stub(json(200, {}));
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'AKIDENV',
      AWS_SECRET_ACCESS_KEY: 'secret-from-env',
      AWS_SESSION_TOKEN: 'token-from-env',
    });
    try {
      await new AwsJsonClient(SERVICE, { endpoint: url, region: 'eu-west-1' }).call('ListTables', {});
    } finally {
      process.env = saved;
    }
    const [request] = received as [Received];
    expect(String(request.headers.authorization)).toContain('Credential=AKIDENV/');
    expect(request.headers['x-amz-security-token']).toBe('token-from-env');
    expect(/Signature=([0-9a-f]{64})$/.exec(String(request.headers.authorization))?.[1]).toBe(
      expectedSignature(request, 'secret-from-env'),
    );
  });

  it('throws the AWS error type as the name, with the message, status and the answer’s other fields', async () => {
    const { url } = await stub(
      json(400, {
        __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException',
        message: 'The conditional request failed',
        Item: { pk: { S: 'a' } },
      }),
    );
    const error = await client(url)
      .call('PutItem', {})
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(AwsServiceError);
    expect(error).toMatchObject({
      name: 'ConditionalCheckFailedException',
      message: 'The conditional request failed',
      $fault: 'client',
      $metadata: { httpStatusCode: 400, requestId: 'req-1', attempts: 1 },
      Item: { pk: { S: 'a' } },
    });
  });

  it('takes the error type from X-Amzn-ErrorType when the service sends it, without its suffix', async () => {
    const { url } = await stub(
      json(
        400,
        { Message: 'no such queue' },
        { 'x-amzn-errortype': 'QueueDoesNotExist:http://internal.amazon.com/' },
      ),
    );
    await expect(client(url).call('GetQueueUrl', {})).rejects.toMatchObject({
      name: 'QueueDoesNotExist',
      message: 'no such queue',
    });
  });

  it('retries throttling with backoff and answers once the service does', async () => {
    const throttled = json(400, {
      __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
      message: 'slow down',
    });
    const { url, received } = await stub(throttled, throttled, json(200, { Count: 0 }));
    const output = await client(url).call('Query', { TableName: 't' });

    expect(received).toHaveLength(3);
    expect(output).toMatchObject({ Count: 0, $metadata: { attempts: 3 } });
  });

  it('gives up after three attempts on a server error, with the last answer', async () => {
    const { url, received } = await stub(json(500, { __type: 'InternalServerError', message: 'boom' }));
    const error = await client(url)
      .call('GetItem', {})
      .catch((caught: unknown) => caught);

    expect(received).toHaveLength(3);
    expect(error).toMatchObject({
      name: 'InternalServerError',
      $fault: 'server',
      $metadata: { httpStatusCode: 500, attempts: 3 },
    });
  });

  it('does not retry a client error such as a validation failure', async () => {
    const { url, received } = await stub(json(400, { __type: 'ValidationException', message: 'bad key' }));
    await expect(client(url).call('GetItem', {})).rejects.toMatchObject({ name: 'ValidationException' });
    expect(received).toHaveLength(1);
  });

  it('retries a connection reset by the server', async () => {
    const { url, received } = await stub(
      (_request, res) => res.socket?.destroy(),
      json(200, { TableNames: [] }),
    );
    await expect(client(url).call('ListTables', {})).resolves.toMatchObject({ TableNames: [] });
    expect(received).toHaveLength(2);
  });

  it('throws the network error when no attempt reaches the service', async () => {
    const server = createServer();
    const url = await listen(server, 0, '127.0.0.1');
    await closeServer(server);
    await expect(client(url).call('ListTables', {})).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('hands the call to the in-process transport registered for its endpoint, without HTTP', async () => {
    const { url, received } = await stub(json(200, { over: 'http' }));
    const calls: unknown[] = [];
    const unregister = registerInProcessTransport(`${url}/`, async (call) => {
      const { endpoint, target, body, input } = call;
      calls.push({ endpoint, target, body, input });
      return { status: 200, body: JSON.stringify({ over: 'in-process' }) };
    });
    try {
      await expect(client(url).call('GetItem', { TableName: 't' })).resolves.toMatchObject({
        over: 'in-process',
      });
      // The request as a value too, and its JSON for a transport that reads the body.
      expect(calls).toEqual([
        {
          endpoint: url,
          target: 'DynamoDB_20120810.GetItem',
          body: '{"TableName":"t"}',
          input: { TableName: 't' },
        },
      ]);
      expect(received).toHaveLength(0);
    } finally {
      unregister();
    }
    await expect(client(url).call('GetItem', {})).resolves.toMatchObject({ over: 'http' });
  });

  it('takes an in-process answer given as a value, without its JSON', async () => {
    const unregister = registerInProcessTransport('http://in-process.test', async () => ({
      status: 200,
      json: { Item: { pk: { S: 'a' } } },
      get body(): string {
        throw new Error('the body of an answer given as a value was read');
      },
    }));
    try {
      await expect(client('http://in-process.test').call('GetItem', {})).resolves.toMatchObject({
        Item: { pk: { S: 'a' } },
      });
    } finally {
      unregister();
    }
  });

  it('reads errors and retries throttling on the in-process path too', async () => {
    let calls = 0;
    const unregister = registerInProcessTransport('http://in-process.test', async () => {
      calls++;
      return calls === 1
        ? { status: 400, body: JSON.stringify({ __type: 'x#ThrottlingException', message: 'later' }) }
        : {
            status: 400,
            body: JSON.stringify({ __type: 'x#ResourceNotFoundException', message: 'no table' }),
          };
    });
    try {
      await expect(client('http://in-process.test').call('GetItem', {})).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
        $metadata: { httpStatusCode: 400, attempts: 2 },
      });
    } finally {
      unregister();
    }
  });
});

describe('resolveEndpoint', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('prefers the service’s own variable, then AWS_ENDPOINT_URL, then the regional endpoint', () => {
    delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
    delete process.env.AWS_ENDPOINT_URL;
    delete process.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS;
    expect(resolveEndpoint(SERVICE, 'eu-west-1')).toBe('https://dynamodb.eu-west-1.amazonaws.com');
    process.env.AWS_ENDPOINT_URL = 'http://localhost:4566/';
    expect(resolveEndpoint(SERVICE, 'eu-west-1')).toBe('http://localhost:4566');
    process.env.AWS_ENDPOINT_URL_DYNAMODB = 'http://127.0.0.1:8000';
    expect(resolveEndpoint(SERVICE, 'eu-west-1')).toBe('http://127.0.0.1:8000');
    process.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS = 'true';
    expect(resolveEndpoint(SERVICE, 'eu-west-1')).toBe('https://dynamodb.eu-west-1.amazonaws.com');
  });
});
