// AWS SDK v3 clients, one module per client so a Lambda's bundle imports only the clients it uses, each
// created on first use, once per container, traced when tracing is on. Endpoints come from the standard
// environment (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_DYNAMODB, ...), so the same code serves AWS,
// LocalStack and the embedded stack.

/** `create`, called on the first call only; later calls return the same value. */
export function once<T>(create: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= create();
    return value;
  };
}
