// The Lambda Invoke API (`POST /2015-03-31/functions/<name>/invocations`) of the local stack, so a process
// outside it (a worker reporting to agentReports) calls the stack's functions with the AWS SDK's
// LambdaClient and AWS_ENDPOINT_URL_LAMBDA, as it would on AWS. Synchronous invocations only: a function
// error answers 200 with X-Amz-Function-Error, as Lambda does.
import { createServer, type Server } from 'node:http';
import { FunctionNotFoundError, type LambdaRuntime } from './lambda-runtime';
import { closeServer, listenPreferring } from './listen';

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

export interface LocalLambdaEndpoint {
  readonly url: string;
  close(): Promise<void>;
}

export async function startLambdaEndpoint(
  runtime: LambdaRuntime,
  host: string,
  preferredPort?: number,
): Promise<LocalLambdaEndpoint> {
  const server: Server = createServer((request, response) => {
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      response.end(JSON.stringify(body ?? null));
    };
    const match = INVOKE_PATH.exec(new URL(request.url ?? '/', 'http://local').pathname);
    if (request.method !== 'POST' || !match) {
      answer(404, { Type: 'User', message: 'Only synchronous Invoke is served here' });
      return;
    }
    const invocationType = request.headers['x-amz-invocation-type'];
    if (invocationType !== undefined && invocationType !== 'RequestResponse') {
      answer(400, { Type: 'User', message: `InvocationType ${invocationType} is not supported locally` });
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let payload: unknown;
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        payload = text === '' ? {} : JSON.parse(text);
      } catch {
        answer(
          400,
          { Type: 'User', message: 'Could not parse request body into json' },
          {
            'x-amzn-ErrorType': 'InvalidRequestContentException',
          },
        );
        return;
      }
      const name = decodeURIComponent(match[1] ?? '');
      runtime.invokeByName(name, payload).then(
        (result) => answer(200, result, { 'X-Amz-Executed-Version': '$LATEST' }),
        (error: unknown) => {
          if (error instanceof FunctionNotFoundError) {
            answer(
              404,
              { Type: 'User', message: error.message },
              { 'x-amzn-ErrorType': 'ResourceNotFoundException' },
            );
            return;
          }
          const failure = error instanceof Error ? error : new Error(String(error));
          answer(
            200,
            { errorType: failure.name, errorMessage: failure.message },
            { 'X-Amz-Function-Error': 'Unhandled', 'X-Amz-Executed-Version': '$LATEST' },
          );
        },
      );
    });
  });
  const url = await listenPreferring(server, preferredPort, host);
  return { url, close: () => closeServer(server) };
}
