// The embedded stack runs the Lambda handlers in its own process, next to the emulators of the services
// they call. It registers here, per endpoint URL, a transport that hands an AWS JSON-protocol request
// (DynamoDB, SQS, Step Functions) straight to the emulator, without HTTP or request signing. The lean
// clients (aws-json.ts) look their endpoint up at each call: on AWS nothing is ever registered, and a
// client bound to another endpoint (a second stack, LocalStack) goes over HTTP as usual. A request and
// its answer can pass as values, with their JSON made only for a side that reads it: the local DynamoDB
// takes and gives values, which spares four JSON passes per request (7 % of a stack's CPU running tasks). The live updates'
// posts (PostToConnection of the WebSocket API's Management API, a REST call) take the same path, as
// POST_TO_CONNECTION calls to the live endpoint, and so do its closes (DELETE_CONNECTION).

/**
 * The target of a PostToConnection served in process: the body is `{"ConnectionId", "Data"}` (Data the
 * message text); the reply's status is the Management API's (200, 410 GoneException, 413).
 */
export const POST_TO_CONNECTION = 'ApiGatewayManagementApi.PostToConnection';

/** A DeleteConnection served in process: the body is `{"ConnectionId"}`; the reply's status 204, or 410. */
export const DELETE_CONNECTION = 'ApiGatewayManagementApi.DeleteConnection';

/** One AWS JSON-protocol request, as the client would send it over HTTP. */
export interface AwsJsonCall {
  /** The endpoint the client is bound to, e.g. `http://127.0.0.1:41234`. */
  readonly endpoint: string;
  /** The `X-Amz-Target` header, e.g. `DynamoDB_20120810.GetItem`. */
  readonly target: string;
  /** The request body (JSON). */
  readonly body: string;
  /**
   * The value `body` is the JSON of, when the client has it (the lean client then makes `body` only when
   * it is read): a transport may read it in place of parsing `body`, and must neither keep nor change it.
   */
  readonly input?: unknown;
}

/** The emulator's answer, as it would have come over HTTP. */
export interface AwsJsonReply {
  readonly status: number;
  readonly body: string;
  /**
   * The value `body` is the JSON of, when the transport has it (then `body` may be made only when read):
   * the client reads it in place of parsing `body`, so it must be the transport's to give away, shared
   * with nothing it keeps.
   */
  readonly json?: unknown;
}

/** A call whose `body` is the JSON of `input`, made the first time it is read. */
export function callWithInput(endpoint: string, target: string, input: unknown): AwsJsonCall {
  let body: string | undefined;
  return {
    endpoint,
    target,
    input,
    get body() {
      body ??= JSON.stringify(input);
      return body;
    },
  };
}

/** A reply whose `body` is the JSON of `json`, made the first time it is read. */
export function replyWithJson(status: number, json: unknown): AwsJsonReply {
  let body: string | undefined;
  return {
    status,
    json,
    get body() {
      body ??= JSON.stringify(json);
      return body;
    },
  };
}

export type AwsJsonTransport = (call: AwsJsonCall) => Promise<AwsJsonReply>;

// Process-wide, shared by every copy of this module (the stack and the handlers may load it twice).
const REGISTRY_KEY = Symbol.for('stepwise.inProcessTransports');

function registry(): Map<string, AwsJsonTransport> {
  const holder = globalThis as { [REGISTRY_KEY]?: Map<string, AwsJsonTransport> };
  holder[REGISTRY_KEY] ??= new Map();
  return holder[REGISTRY_KEY];
}

const normalize = (endpoint: string) => endpoint.replace(/\/+$/, '');

/** Serves calls to `endpoint` in process until the returned function is called. */
export function registerInProcessTransport(endpoint: string, transport: AwsJsonTransport): () => void {
  const key = normalize(endpoint);
  registry().set(key, transport);
  return () => {
    if (registry().get(key) === transport) registry().delete(key);
  };
}

/** The in-process transport serving `endpoint`, if the embedded stack registered one. */
export function inProcessTransport(endpoint: string): AwsJsonTransport | undefined {
  return registry().get(normalize(endpoint));
}
