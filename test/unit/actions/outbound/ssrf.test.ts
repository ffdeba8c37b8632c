import { beforeEach, describe, expect, it } from 'vitest';
import { OutboundAddressRefused } from '../../../../functions/shared/actions/errors';
import { type HttpDeps, runHttpAction } from '../../../../functions/shared/actions/http';
import { parseAllowedHosts } from '../../../../functions/shared/actions/outbound/allowed-hosts';
import type { Resolve } from '../../../../functions/shared/actions/outbound/guarded-fetch';
import { loopbackServer } from './loopback-only';

const received: string[] = [];

const server = loopbackServer((req, res) => {
  received.push(`${req.headers.host} ${req.url}`);
  const to = new URL(req.url ?? '/', 'http://x').searchParams.get('to');
  if (to) {
    res.writeHead(302, { location: to });
    res.end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"secret":"internal"}');
});

beforeEach(() => {
  received.length = 0;
});

// Public-looking names for the tests; anything else is not found.
const fakeDns: Record<string, { address: string; family: number }[]> = {
  'partner.example': [{ address: '127.0.0.1', family: 4 }],
  'intranet.example': [{ address: '10.20.30.40', family: 4 }],
  'mixed.example': [
    { address: '93.184.216.34', family: 4 },
    { address: '192.168.0.10', family: 4 },
  ],
  'v6.example': [{ address: '::ffff:127.0.0.1', family: 6 }],
};
const resolve: Resolve = async (hostname) => {
  const found = fakeDns[hostname];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return found;
};

function deps(allowed = ''): { deps: HttpDeps; delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    deps: {
      outbound: { allowedHosts: parseAllowedHosts(allowed), resolve },
      sleep: async (ms) => void delays.push(ms),
    },
  };
}

async function refusal(url: string, allowed = ''): Promise<OutboundAddressRefused> {
  const { deps: d, delays } = deps(allowed);
  const error = await runHttpAction({ url: url.replace('PORT', String(server.port)) }, d).catch(
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OutboundAddressRefused);
  expect(delays).toEqual([]); // never retried
  return error as OutboundAddressRefused;
}

describe('http step outbound-address guard', () => {
  it.each([
    ['loopback', 'http://127.0.0.1:PORT/', 'loopback address'],
    ['loopback elsewhere in 127/8', 'http://127.10.0.1:PORT/', 'loopback address'],
    ['10/8', 'http://10.0.0.1/', 'private address'],
    ['172.16/12', 'http://172.16.5.4/', 'private address'],
    ['172.16/12 (upper end)', 'http://172.31.0.1/', 'private address'],
    ['192.168/16', 'http://192.168.1.1/', 'private address'],
    ['the EC2 metadata endpoint', 'http://169.254.169.254/latest/meta-data/', 'link-local'],
    ['the ECS credentials endpoint', 'http://169.254.170.2/v2/credentials', 'link-local'],
    ['unspecified 0.0.0.0', 'http://0.0.0.0:PORT/', 'unspecified address'],
    ['CGNAT 100.64/10', 'http://100.64.0.1/', 'carrier-grade NAT'],
    ['IPv6 loopback [::1]', 'http://[::1]:PORT/', 'loopback address'],
    ['IPv4-mapped IPv6 [::ffff:127.0.0.1]', 'http://[::ffff:127.0.0.1]:PORT/', 'IPv4-mapped loopback'],
    ['NAT64 of a private address', 'http://[64:ff9b::10.0.0.1]/', 'NAT64 private'],
    ['IPv6 unique-local (IMDS over IPv6)', 'http://[fd00:ec2::254]/', 'unique-local'],
    ['a decimal IP', 'http://2130706433:PORT/', 'loopback address'],
    ['a hex and short IP', 'http://0x7f.1:PORT/', 'loopback address'],
    ['an octal IP', 'http://0177.0.0.1:PORT/', 'loopback address'],
  ])('refuses %s (%s) with OutboundAddressRefused', async (_what, url, reason) => {
    const error = await refusal(url);
    expect(error.name).toBe('OutboundAddressRefused');
    expect(error.reason).toContain(reason);
    expect(error.message).toContain(
      new URL(url.replace('PORT', String(server.port))).hostname.replace(/^\[|\]$/g, ''),
    );
    expect(received).toEqual([]);
  });

  it('refuses localhost, resolved by the system resolver to loopback', async () => {
    const error = await runHttpAction(
      { url: `http://localhost:${server.port}/` },
      { sleep: async () => undefined },
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'OutboundAddressRefused', host: `localhost:${server.port}` });
    expect((error as Error).message).toMatch(
      /^Refused to connect to localhost:\d+ \((127\.0\.0\.1|::1)\): loopback/,
    );
    expect(received).toEqual([]);
  });

  it('refuses a name that resolves to a private address, naming the host and the address', async () => {
    const error = await refusal('http://intranet.example/');
    expect(error).toMatchObject({
      host: 'intranet.example',
      address: '10.20.30.40',
      reason: 'private address',
    });
    expect(error.message).toBe(
      "Refused to connect to intranet.example (10.20.30.40): private address; the host is not in the deployment's outbound allowlist (OUTBOUND_ALLOWED_HOSTS)",
    );
  });

  it('refuses a name when any of its addresses is refused', async () => {
    expect(await refusal('http://mixed.example/')).toMatchObject({ address: '192.168.0.10' });
  });

  it('refuses a name resolving to an IPv4-mapped loopback address', async () => {
    expect(await refusal(`http://v6.example:${server.port}/`)).toMatchObject({ address: '::ffff:127.0.0.1' });
  });

  it('refuses a public URL that redirects to loopback, without requesting the target', async () => {
    // partner.example is allowlisted (it stands for a public host); its redirect to 127.0.0.1 is not.
    const target = `http://127.0.0.1:${server.port}/admin`;
    const error = await refusal(
      `http://partner.example:PORT/?to=${encodeURIComponent(target)}`,
      `partner.example:${server.port}`,
    );
    expect(error).toMatchObject({ host: `127.0.0.1:${server.port}`, reason: 'loopback address' });
    expect(received).toEqual([`partner.example:${server.port} /?to=${encodeURIComponent(target)}`]);
  });

  it('refuses a redirect to a name resolving to the metadata address, and to a decimal IP', async () => {
    fakeDns['metadata.example'] = [{ address: '169.254.169.254', family: 4 }];
    for (const target of ['http://metadata.example/latest', 'http://2852039166/latest']) {
      const error = await refusal(
        `http://partner.example:PORT/?to=${encodeURIComponent(target)}`,
        `partner.example:${server.port}`,
      );
      expect(error.address).toBe('169.254.169.254');
    }
  });

  it('reaches a host the deployment allowlists, by IP or by name', async () => {
    for (const [url, allowed] of [
      [`http://127.0.0.1:${server.port}/ok`, `127.0.0.1:${server.port}`],
      [`http://2130706433:${server.port}/ok`, `127.0.0.1:${server.port}`],
      [`http://partner.example:${server.port}/ok`, 'partner.example'],
    ] as const) {
      const result = await runHttpAction({ url }, deps(allowed).deps);
      expect(result).toMatchObject({ status: 200, body: { secret: 'internal' } });
    }
    expect(received).toHaveLength(3);
  });

  it('refuses the allowlisted host on a server.port the entry does not name', async () => {
    expect(await refusal('http://127.0.0.1:PORT/', '127.0.0.1:1')).toMatchObject({
      reason: 'loopback address',
    });
  });
});
