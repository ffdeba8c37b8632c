// A lean client for the AWS JSON protocol (DynamoDB, SQS, Step Functions): one signed POST per call, in
// place of an AWS SDK v3 client, whose module init (~170 ms of CPU for @aws-sdk/client-dynamodb alone)
// dominated every cold start and whose middleware stack, schema serde and checksums weighed on every call.
// What it keeps of the SDK's behaviour: credentials from the Lambda environment (or a provider), the
// endpoint from AWS_ENDPOINT_URL_<SERVICE> / AWS_ENDPOINT_URL / the regional default, keep-alive
// connections, the standard retry mode (3 attempts, exponential backoff with full jitter on throttling,
// 5xx and network errors), errors named by their AWS type with `$metadata`, and an X-Ray subsegment per
// call when tracing is on. The embedded stack serves an endpoint in process (in-process-transport.ts):
// that is looked up at each call, before any HTTP or signing.
import { createHash, createHmac } from 'node:crypto';
import type { Agent as HttpAgent, IncomingMessage, RequestOptions } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Checksum, SourceData } from '@smithy/types';
import { tracedCall } from '../tracing';
import { type AwsJsonReply, callWithInput, inProcessTransport } from './in-process-transport';
import { NETWORK_ERROR_CODES, TIMEOUT_ERROR_NAMES } from './transient-errors';

/** What tells one AWS JSON-protocol service from another. */
export interface AwsJsonService {
  /** The SigV4 signing name and endpoint prefix, e.g. `dynamodb`, `sqs`, `states`. */
  readonly signingName: string;
  /** The X-Amz-Target prefix, e.g. `DynamoDB_20120810`, `AmazonSQS`, `AWSStepFunctions`. */
  readonly targetPrefix: string;
  /** `1.0` (DynamoDB, SQS, Step Functions) or `1.1`. */
  readonly jsonVersion: '1.0' | '1.1';
  /** The suffix of its endpoint variable, e.g. `DYNAMODB` for AWS_ENDPOINT_URL_DYNAMODB. */
  readonly endpointEnvName: string;
  /** The service name in traces, e.g. `DynamoDB`. */
  readonly traceName: string;
}

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface AwsJsonClientOptions {
  /** @default AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL, then `https://<service>.<region>.amazonaws.com` */
  readonly endpoint?: string;
  /** @default AWS_REGION, then AWS_DEFAULT_REGION */
  readonly region?: string;
  /** Static credentials or a provider (called per call: cache in it). @default AWS_ACCESS_KEY_ID, ... */
  readonly credentials?: AwsCredentials | (() => Promise<AwsCredentials>);
  /** Attempts per call, the first included. @default 3 */
  readonly maxAttempts?: number;
  /** The base of the backoff (the n-th retry waits up to base * 2^n). @default 100 */
  readonly retryBaseMs?: number;
  /** An idle or silent socket is dropped (and the call retried) after this long. @default 60_000 */
  readonly requestTimeoutMs?: number;
}

/** The SDK's `$metadata`, for code that reads it off an answer or an error. */
export interface ResponseMetadata {
  httpStatusCode?: number;
  requestId?: string;
  attempts: number;
  totalRetryDelay: number;
}

/**
 * An error answered by the service: `name` is the AWS error type (`ConditionalCheckFailedException`,
 * `ResourceNotFoundException`, ...), as the SDK's exception classes have it; the answer's other fields
 * (`Item`, `CancellationReasons`, ...) are copied onto it.
 */
export class AwsServiceError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: ResponseMetadata;
  [field: string]: unknown;

  constructor(
    type: string,
    message: string,
    metadata: ResponseMetadata,
    fields: Record<string, unknown> = {},
  ) {
    super(message);
    Object.assign(this, fields);
    this.name = type;
    this.message = message;
    this.$metadata = metadata;
    this.$fault =
      metadata.httpStatusCode !== undefined && metadata.httpStatusCode >= 500 ? 'server' : 'client';
  }
}

// The SDK's standard retry mode: these error types, 429 and 5xx answers, and these socket errors.
const THROTTLING_ERRORS = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
]);
function isRetryable(error: unknown): boolean {
  if (error instanceof AwsServiceError) {
    const status = error.$metadata.httpStatusCode ?? 0;
    return (
      THROTTLING_ERRORS.has(error.name) ||
      TIMEOUT_ERROR_NAMES.has(error.name) ||
      status === 429 ||
      status >= 500
    );
  }
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && NETWORK_ERROR_CODES.has(code);
}

/** The SigV4 signer's hash: node's crypto, synchronous underneath. */
class NodeSha256 implements Checksum {
  private readonly hash;

  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }

  update(data: Uint8Array): void {
    this.hash.update(data);
  }

  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }

  reset(): void {
    throw new Error('NodeSha256 is used once');
  }
}

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

function environmentCredentials(): AwsCredentials {
  const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new Error('AWS credentials missing: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
  }
  const sessionToken = process.env.AWS_SESSION_TOKEN || undefined;
  return { accessKeyId, secretAccessKey, ...(sessionToken && { sessionToken }) };
}

/** The endpoint the SDK would use for this service, by the standard environment. */
export function resolveEndpoint(service: AwsJsonService, region: string): string {
  const configured =
    process.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === 'true'
      ? undefined
      : process.env[`AWS_ENDPOINT_URL_${service.endpointEnvName}`] || process.env.AWS_ENDPOINT_URL;
  return (configured || `https://${service.signingName}.${region}.amazonaws.com`).replace(/\/+$/, '');
}

// Keep-alive agents, one per protocol per process, made at the first call over HTTP (never on the embedded
// stack's in-process path, and not at module init). process.getBuiltinModule rather than import(): an ES
// module import of node:http reads every export, and its lazy WebSocket getters load Node's undici (~70 ms
// of CPU).
type Transport = {
  request: (
    options: RequestOptions,
    callback: (response: IncomingMessage) => void,
  ) => import('node:http').ClientRequest;
  agent: HttpAgent;
};
const transports = new Map<string, Transport>();

function transportFor(protocol: string): Transport {
  let transport = transports.get(protocol);
  if (!transport) {
    const http = process.getBuiltinModule(protocol === 'http:' ? 'node:http' : 'node:https');
    transport = { request: http.request, agent: new http.Agent({ keepAlive: true, maxSockets: 50 }) };
    transports.set(protocol, transport);
  }
  return transport;
}

interface HttpReply extends AwsJsonReply {
  readonly requestId?: string;
  readonly errorType?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One AWS JSON-protocol service at one endpoint. */
export class AwsJsonClient {
  readonly endpoint: string;
  readonly region: string;
  private readonly url: URL;
  private readonly credentials: AwsCredentials | (() => Promise<AwsCredentials>);
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly requestTimeoutMs: number;
  private readonly contentType: string;
  private signer?: SignatureV4;

  constructor(
    readonly service: AwsJsonService,
    options: AwsJsonClientOptions = {},
  ) {
    const region = options.region ?? (process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION);
    if (!region) throw new Error(`${service.traceName} client: no region (set AWS_REGION)`);
    this.region = region;
    this.endpoint = (options.endpoint ?? resolveEndpoint(service, region)).replace(/\/+$/, '');
    this.url = new URL(this.endpoint);
    this.credentials = options.credentials ?? (async () => environmentCredentials());
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.retryBaseMs = options.retryBaseMs ?? 100;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
    this.contentType = `application/x-amz-json-${service.jsonVersion}`;
  }

  /** Calls `operation` (e.g. `GetItem`) with `input`; resolves its output with `$metadata`. */
  call<Output = Record<string, unknown>>(
    operation: string,
    input: unknown,
  ): Promise<Output & { $metadata: ResponseMetadata }> {
    const target = `${this.service.targetPrefix}.${operation}`;
    return tracedCall(this.service.traceName, operation, this.region, input, () =>
      this.attempts(target, input),
    );
  }

  private async attempts<Output>(
    target: string,
    input: unknown,
  ): Promise<Output & { $metadata: ResponseMetadata }> {
    let totalRetryDelay = 0;
    let body: string | undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        // In process, the request passes as a value (its JSON is made only if the transport reads it).
        const inProcess = inProcessTransport(this.endpoint);
        let reply: HttpReply;
        if (inProcess) {
          reply = await inProcess(callWithInput(this.endpoint, target, input));
        } else {
          body ??= JSON.stringify(input);
          reply = await this.send(target, body);
        }
        const metadata: ResponseMetadata = {
          httpStatusCode: reply.status,
          requestId: reply.requestId,
          attempts: attempt,
          totalRetryDelay,
        };
        const parsed =
          reply.json !== null && typeof reply.json === 'object'
            ? (reply.json as Record<string, unknown>)
            : parseBody(reply.body);
        if (reply.status >= 300) throw serviceError(reply, parsed, metadata);
        return Object.assign(parsed, { $metadata: metadata }) as Output & { $metadata: ResponseMetadata };
      } catch (error) {
        if (attempt >= this.maxAttempts || !isRetryable(error)) {
          if (error instanceof AwsServiceError) {
            error.$metadata.attempts = attempt;
            error.$metadata.totalRetryDelay = totalRetryDelay;
          }
          throw error;
        }
        // Full jitter (the SDK's standard mode): a random wait up to base * 2^retry, at most 20 s.
        const delay = Math.floor(Math.random() * Math.min(20_000, this.retryBaseMs * 2 ** attempt));
        totalRetryDelay += delay;
        await sleep(delay);
      }
    }
  }

  private async send(target: string, body: string): Promise<HttpReply> {
    const credentials = this.credentials;
    // Created at the first signed call; it caches its signing key per day, region, service and credentials.
    this.signer ??= new SignatureV4({
      service: this.service.signingName,
      region: this.region,
      sha256: NodeSha256,
      credentials: typeof credentials === 'function' ? credentials : async () => credentials,
    });
    const path = this.url.pathname || '/';
    const signed = await this.signer.sign(
      {
        method: 'POST',
        protocol: this.url.protocol,
        hostname: this.url.hostname,
        port: this.url.port ? Number(this.url.port) : undefined,
        path,
        query: {},
        headers: {
          host: this.url.host,
          'content-type': this.contentType,
          'x-amz-target': target,
          'content-length': String(Buffer.byteLength(body)),
        },
        body,
      },
      { signingDate: new Date() },
    );
    return this.post(path, signed.headers, body);
  }

  private async post(path: string, headers: Record<string, string>, body: string): Promise<HttpReply> {
    const { request, agent } = transportFor(this.url.protocol);
    return new Promise<HttpReply>((resolve, reject) => {
      const req = request(
        {
          method: 'POST',
          protocol: this.url.protocol,
          hostname: this.url.hostname,
          port: this.url.port || undefined,
          path,
          headers,
          agent,
          timeout: this.requestTimeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              requestId: header(res, 'x-amzn-requestid') ?? header(res, 'x-amz-request-id'),
              errorType: header(res, 'x-amzn-errortype'),
            }),
          );
        },
      );
      req.on('timeout', () =>
        req.destroy(
          Object.assign(new Error(`no answer within ${this.requestTimeoutMs} ms`), { code: 'ETIMEDOUT' }),
        ),
      );
      req.on('error', reject);
      req.end(body);
    });
  }
}

function header(res: IncomingMessage, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseBody(body: string): Record<string, unknown> {
  if (!body) return {};
  try {
    const parsed: unknown = JSON.parse(body);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/**
 * The error of an answer with a status ≥ 300: its type from X-Amzn-ErrorType or `__type`, both of which
 * may carry a namespace (`com.amazonaws.dynamodb.v20120810#`) and a suffix (`:http://...`).
 */
function serviceError(
  reply: HttpReply,
  parsed: Record<string, unknown>,
  metadata: ResponseMetadata,
): AwsServiceError {
  const { __type, message, Message, ...fields } = parsed;
  const raw = reply.errorType ?? (typeof __type === 'string' ? __type : undefined);
  const type =
    raw?.split(':')[0]?.split('#').pop() || (reply.status >= 500 ? 'InternalFailure' : 'UnknownError');
  const text = typeof message === 'string' ? message : typeof Message === 'string' ? Message : type;
  return new AwsServiceError(type, text, metadata, fields);
}
