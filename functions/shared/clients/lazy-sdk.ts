// AWS SDK v3 clients loaded on their first call. esbuild hoists every `import` of an external package
// (`@aws-sdk/*` stays external: Lambda's runtime provides it) to the bundle's module init, so a function
// that statically imports a client package, or only one of its command classes, pays for loading it at
// every cold start (~50-170 ms of CPU per package), even if the request that needs it never comes. So the
// call sites import their command classes from the client modules next to this one (sns.ts, ...): such a
// command only records its operation and input (service-command.ts), and the client loads the SDK package
// with `import()` on the first `send`, creates the SDK client once per container (traced when tracing is
// on), and sends the SDK's own command. The call-site shape stays `client.send(new PublishCommand({...}))`;
// errors are the SDK's, told apart by `name` (`instanceof` would need the package loaded).
import { traced } from '../tracing';
import { once } from './once';
import type { ServiceClient, ServiceCommand } from './service-command';

/** What a client is pointed at when it is not the standard environment's (tests, the local stack). */
export interface ClientSettings {
  readonly region?: string;
  readonly endpoint?: string;
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
}

interface SdkClient {
  send(command: unknown): Promise<unknown>;
}

type CommandConstructor = new (input: unknown) => unknown;

/**
 * A client whose SDK package is imported by `load` (write it as `() => import('@aws-sdk/client-x')` so the
 * bundler keeps the `import()`) and whose SDK client `create` makes, both on the first `send`.
 */
export function lazySdkClient<Service extends string, Module>(
  service: Service,
  load: () => Promise<Module>,
  create: (sdk: Module) => SdkClient,
): ServiceClient<Service> {
  const loaded = once(async () => {
    const sdk = await load();
    return { sdk: sdk as Record<string, unknown>, client: traced(create(sdk)) };
  });
  return {
    async send<Input, Output>(command: ServiceCommand<Service, Input, Output>): Promise<Output> {
      const { sdk, client } = await loaded();
      const Command = sdk[`${command.operation}Command`] as CommandConstructor | undefined;
      if (typeof Command !== 'function') {
        throw new TypeError(`The ${service} SDK has no ${command.operation}Command`);
      }
      return (await client.send(new Command(command.input))) as Output;
    },
  };
}
