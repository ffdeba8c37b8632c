// Which IP addresses an outbound call from a step may not connect to, and why. A step's URL is written
// by a tenant, so anything that is not a public unicast address (the Lambda runtime API and the
// metadata endpoints on link-local, VPC hosts, the local stack's emulators on loopback) is refused
// unless the deployment allowlists the host (allowed-hosts.ts).
import { BlockList, isIP } from 'node:net';

type Range = readonly [network: string, prefix: number];
interface Rule {
  readonly reason: string;
  readonly list: BlockList;
}

function blockList(type: 'ipv4' | 'ipv6', ranges: readonly Range[]): BlockList {
  const list = new BlockList();
  for (const [network, prefix] of ranges) list.addSubnet(network, prefix, type);
  return list;
}

const v4 = (reason: string, ...ranges: Range[]): Rule => ({ reason, list: blockList('ipv4', ranges) });
const v6 = (reason: string, ...ranges: Range[]): Rule => ({ reason, list: blockList('ipv6', ranges) });

// IANA special-purpose registries (RFC 6890 and updates); the first match names the reason.
const IPV4: readonly Rule[] = [
  v4('unspecified address', ['0.0.0.0', 8]),
  v4('loopback address', ['127.0.0.0', 8]),
  v4('private address', ['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16]),
  v4('carrier-grade NAT (shared) address', ['100.64.0.0', 10]),
  // 169.254.169.254 (EC2 instance metadata) and 169.254.170.2 (ECS/Lambda container credentials).
  v4('link-local address (cloud metadata endpoints)', ['169.254.0.0', 16]),
  v4('multicast address', ['224.0.0.0', 4]),
  v4(
    'reserved address',
    ['192.0.0.0', 24],
    ['192.0.2.0', 24],
    ['192.88.99.0', 24],
    ['198.18.0.0', 15],
    ['198.51.100.0', 24],
    ['203.0.113.0', 24],
    ['240.0.0.0', 4], // incl. 255.255.255.255
  ),
];

const IPV6: readonly Rule[] = [
  v6('unspecified address', ['::', 128]),
  v6('loopback address', ['::1', 128]),
  v6('link-local address', ['fe80::', 10]),
  // Includes fd00:ec2::254, the EC2 instance metadata service over IPv6.
  v6('unique-local (private) address', ['fc00::', 7]),
  v6('multicast address', ['ff00::', 8]),
  v6(
    'reserved address',
    ['64:ff9b:1::', 48], // NAT64 for local use
    ['100::', 64], // discard
    ['2001::', 23], // IETF protocol assignments, incl. Teredo tunnels
    ['2001:db8::', 32], // documentation
    ['2002::', 16], // 6to4 tunnels
    ['3fff::', 20], // documentation
  ),
];

const GLOBAL_UNICAST_V6 = blockList('ipv6', [['2000::', 3]]);
// IPv6 forms that carry an IPv4 address in their last 32 bits and reach it.
const EMBEDDING_V4 = [
  { form: 'IPv4-mapped', list: blockList('ipv6', [['::ffff:0:0', 96]]) },
  { form: 'NAT64', list: blockList('ipv6', [['64:ff9b::', 96]]) },
];

/**
 * Why `address` (an IP literal, as DNS returns it or a URL holds it without brackets) must not be
 * connected to, or undefined when it is a public unicast address. Anything that is not an IP is refused.
 */
export function refusalReason(address: string): string | undefined {
  const version = isIP(address);
  if (version === 4) return IPV4.find(({ list }) => list.check(address, 'ipv4'))?.reason;
  if (version !== 6) return 'not an IP address';
  for (const { form, list } of EMBEDDING_V4) {
    if (!list.check(address, 'ipv6')) continue;
    const embedded = embeddedIpv4(address);
    const reason = embedded === undefined ? 'not an IP address' : refusalReason(embedded);
    return reason && `${form} ${reason} (${embedded})`;
  }
  const reason = IPV6.find(({ list }) => list.check(address, 'ipv6'))?.reason;
  if (reason) return reason;
  return GLOBAL_UNICAST_V6.check(address, 'ipv6') ? undefined : 'reserved address';
}

/** The IPv4 address in the last 32 bits of an IPv6 address. */
function embeddedIpv4(address: string): string | undefined {
  // The URL parser writes IPv6 in one canonical form (hex groups, `::` for the longest zero run).
  let canonical: string;
  try {
    canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
  const [head = '', tail] = canonical.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups = [
    ...headGroups,
    ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'),
    ...tailGroups,
  ].map((group) => Number.parseInt(group, 16));
  const high = groups[6] ?? 0;
  const low = groups[7] ?? 0;
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}
