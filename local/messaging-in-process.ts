// SQS on the local stack without HTTP: an in-process transport (functions/shared/clients/in-process-transport.ts)
// that hands a lean client's AWS JSON request to fauxqs' SQS router, the one its HTTP endpoint uses
// (patches/fauxqs+2.4.1.patch exposes it as handleSqs). It answers what the endpoint would: the status and
// the JSON body, errors included. SNS on the same endpoint speaks the query protocol and stays on HTTP.
import type { AwsJsonReply, AwsJsonTransport } from '../functions/shared/clients/in-process-transport';

export interface SqsRouter {
  handleSqs(target: string, body: unknown): Promise<{ status: number; body: unknown }>;
}

const reply = (status: number, body: unknown): AwsJsonReply => ({ status, body: JSON.stringify(body) });

export function sqsInProcess(router: SqsRouter): AwsJsonTransport {
  return async ({ target, body }) => {
    let request: unknown;
    try {
      request = body ? JSON.parse(body) : {};
    } catch {
      return reply(400, {
        __type: 'com.amazon.coral.service#SerializationException',
        message: 'The request body is not valid JSON',
      });
    }
    try {
      const answer = await router.handleSqs(target, request);
      return reply(answer.status, answer.body);
    } catch (error) {
      // What fauxqs' HTTP endpoint answers to an error its router does not name.
      return reply(500, {
        __type: 'InternalFailure',
        message: (error as Error)?.message ?? 'Internal failure',
      });
    }
  };
}
