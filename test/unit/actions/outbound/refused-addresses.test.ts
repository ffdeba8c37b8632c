import { describe, expect, it } from 'vitest';
import { refusalReason } from '../../../../functions/shared/actions/outbound/refused-addresses';

describe('refusalReason', () => {
  it.each([
    ['127.0.0.1', 'loopback address'],
    ['127.255.255.254', 'loopback address'],
    ['0.0.0.0', 'unspecified address'],
    ['10.0.0.1', 'private address'],
    ['172.16.0.1', 'private address'],
    ['172.31.255.255', 'private address'],
    ['192.168.1.1', 'private address'],
    ['100.64.0.1', 'carrier-grade NAT (shared) address'],
    ['169.254.169.254', 'link-local address (cloud metadata endpoints)'],
    ['169.254.170.2', 'link-local address (cloud metadata endpoints)'],
    ['224.0.0.251', 'multicast address'],
    ['255.255.255.255', 'reserved address'],
    ['192.0.2.10', 'reserved address'],
    ['198.18.0.1', 'reserved address'],
    ['::', 'unspecified address'],
    ['::1', 'loopback address'],
    ['fe80::1', 'link-local address'],
    ['fe80::1%eth0', 'link-local address'],
    ['fc00::1', 'unique-local (private) address'],
    ['fd00:ec2::254', 'unique-local (private) address'],
    ['ff02::1', 'multicast address'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback address (127.0.0.1)'],
    ['::ffff:7f00:1', 'IPv4-mapped loopback address (127.0.0.1)'],
    ['::ffff:169.254.169.254', 'IPv4-mapped link-local address (cloud metadata endpoints) (169.254.169.254)'],
    ['64:ff9b::10.0.0.1', 'NAT64 private address (10.0.0.1)'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 link-local address (cloud metadata endpoints) (169.254.169.254)'],
    ['::7f00:1', 'reserved address'],
    ['2001:db8::1', 'reserved address'],
    ['2002:7f00:1::1', 'reserved address'],
    ['localhost', 'not an IP address'],
  ])('refuses %s as %s', (address, reason) => {
    expect(refusalReason(address)).toBe(reason);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '169.255.0.1',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::8.8.8.8',
  ])('allows the public address %s', (address) => {
    expect(refusalReason(address)).toBeUndefined();
  });
});
