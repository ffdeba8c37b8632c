// The local DynamoDB without HTTP: an in-process transport (functions/shared/clients/in-process-transport.ts)
// that hands a lean client's request straight to dynalite's dispatch, the same entry its HTTP handler
// calls once the request has passed its HTTP checks, so the request counts and the meters see it as they
// see any other. It answers what the HTTP endpoint would: the status and the JSON body (errors included:
// an unknown target or a body that is not JSON are refused as dynalite refuses them). Request and answer
// pass as values when the client gives one (the lean client does), their JSON made only if read: dynalite
// builds each answer afresh (items are decoded from the store), so it is the client's to keep. Request
// signing is not checked here; dynalite checks only that a signature is present.
import type { DynaliteDispatch } from 'dynalite';
import {
  type AwsJsonReply,
  type AwsJsonTransport,
  replyWithJson,
} from '../functions/shared/clients/in-process-transport';

const API_VERSIONS = new Set(['DynamoDB_20111205', 'DynamoDB_20120810']);

/** The transport of a dynalite server; `dispatch` is read at each call, so later wrappers see the calls too. */
export function dynamoDbInProcess(server: { readonly dispatch: DynaliteDispatch }): AwsJsonTransport {
  return async (call) => {
    const [api, operation, ...more] = call.target.split('.');
    if (!api || !API_VERSIONS.has(api) || !operation || more.length > 0) {
      return replyWithJson(400, { __type: 'com.amazon.coral.service#UnknownOperationException' });
    }
    let request: unknown;
    if (call.input !== undefined) {
      // dynalite drops the attributes it does not know from the request's top level: from a copy.
      request =
        call.input !== null && typeof call.input === 'object' && !Array.isArray(call.input)
          ? { ...call.input }
          : call.input;
    } else {
      try {
        request = call.body ? JSON.parse(call.body) : undefined;
      } catch {
        request = undefined;
      }
    }
    if (request === null || typeof request !== 'object' || Array.isArray(request)) {
      return replyWithJson(400, { __type: 'com.amazon.coral.service#SerializationException' });
    }
    return new Promise<AwsJsonReply>((resolve) => {
      server.dispatch(operation, request as Record<string, unknown>, (status, response) =>
        resolve(replyWithJson(status, response)),
      );
    });
  };
}
