// The deployment's outbound allowlist: hosts a step may reach even though they resolve to an address
// refused-addresses.ts refuses (an internal service, the local stack's fake LLM). Only deployment
// configuration sets it (OUTBOUND_ALLOWED_HOSTS, from the CDK context `outboundAllowedHosts`), never a
// workflow definition.
import { ConfigurationError } from '../../config';

/** A `host` entry allows every port of the host; `host:port` only that port. */
export interface AllowedHost {
  /** As the URL parser writes it: lowercase, IPv4 in dotted decimal, IPv6 in brackets. */
  readonly hostname: string;
  readonly port?: string;
}

export const OUTBOUND_ALLOWED_HOSTS = 'OUTBOUND_ALLOWED_HOSTS';

const ENTRY = /^(?<host>\[[0-9a-fA-F:.]+\]|[^:/?#@\s[\]]+)(?::(?<port>\d{1,5}))?$/;

/** Parses `host` or `host:port` (IPv6 in brackets); throws ConfigurationError naming `source`. */
export function parseAllowedHost(entry: string, source = OUTBOUND_ALLOWED_HOSTS): AllowedHost {
  const match = ENTRY.exec(entry.trim());
  const host = match?.groups?.host;
  const port = match?.groups?.port;
  if (!host || !URL.canParse(`http://${host}/`) || (port !== undefined && !isPort(port))) {
    throw new ConfigurationError(`${source}: "${entry}" is not a host or host:port`);
  }
  return {
    hostname: new URL(`http://${host}/`).hostname,
    ...(port !== undefined && { port: String(+port) }),
  };
}

/** A comma-separated list of entries, e.g. `internal.example.com, 10.0.0.5:8080, [fd00::5]:443`. */
export function parseAllowedHosts(value: string | undefined, source = OUTBOUND_ALLOWED_HOSTS): AllowedHost[] {
  return (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => parseAllowedHost(entry, source));
}

/** The deployment's allowlist, from OUTBOUND_ALLOWED_HOSTS (none when unset). */
export const loadAllowedHosts = (env: NodeJS.ProcessEnv = process.env): AllowedHost[] =>
  parseAllowedHosts(env[OUTBOUND_ALLOWED_HOSTS]);

/** The entry allowing exactly the host and port of an http(s) URL, e.g. a configured endpoint. */
export function allowedHostOf(url: URL): AllowedHost {
  return { hostname: url.hostname, port: effectivePort(url) };
}

export function isAllowedHost(url: URL, allowed: readonly AllowedHost[]): boolean {
  const port = effectivePort(url);
  return allowed.some((entry) => entry.hostname === url.hostname && (!entry.port || entry.port === port));
}

function effectivePort(url: URL): string {
  return url.port || (url.protocol === 'https:' ? '443' : '80');
}

function isPort(port: string): boolean {
  const n = Number(port);
  return n >= 1 && n <= 65_535;
}
