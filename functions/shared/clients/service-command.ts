// The call-site shape of stepwise's AWS clients other than the table's: `client.send(new XCommand(input))`,
// with the SDK's input and output types (imported as types only). A command only records its service,
// operation and input; the client behind it is either the SDK's, loaded on first use (lazy-sdk.ts), or
// the lean JSON-protocol client (aws-json.ts), so code and tests do not change when a service moves
// from one to the other.

/** One operation of `Service` with its input; the output type is carried for `send`. */
export interface ServiceCommand<Service extends string, Input, Output> {
  readonly service: Service;
  /** The operation, e.g. `Publish` (the SDK's command class is `PublishCommand`). */
  readonly operation: string;
  readonly input: Input;
  /** Never set: it gives `send` its result type. */
  readonly output?: Output;
}

export type ServiceCommandClass<Service extends string, Input, Output> = new (
  input: Input,
) => ServiceCommand<Service, Input, Output>;

/** The command class of one operation, e.g. `serviceCommand<'sns', PublishCommandInput, PublishCommandOutput>('sns', 'Publish')`. */
export function serviceCommand<Service extends string, Input, Output>(
  service: Service,
  operation: string,
): ServiceCommandClass<Service, Input, Output> {
  return class {
    readonly service = service;
    readonly operation = operation;
    constructor(readonly input: Input) {}
  };
}

/** A client of `Service`: sends that service's commands. */
export interface ServiceClient<Service extends string> {
  send<Input, Output>(command: ServiceCommand<Service, Input, Output>): Promise<Output>;
}
