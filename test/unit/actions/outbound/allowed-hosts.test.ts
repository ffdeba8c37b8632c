import { describe, expect, it } from 'vitest';
import {
  allowedHostOf,
  isAllowedHost,
  parseAllowedHosts,
} from '../../../../functions/shared/actions/outbound/allowed-hosts';

describe('parseAllowedHosts', () => {
  it('parses host and host:port entries, normalized as the URL parser writes hosts', () => {
    expect(parseAllowedHosts(' Internal.Example.com , 10.0.0.5:8080,[FD00::5]:443, 2130706433')).toEqual([
      { hostname: 'internal.example.com' },
      { hostname: '10.0.0.5', port: '8080' },
      { hostname: '[fd00::5]', port: '443' },
      { hostname: '127.0.0.1' },
    ]);
  });

  it('reads an unset or empty value as no hosts', () => {
    expect(parseAllowedHosts(undefined)).toEqual([]);
    expect(parseAllowedHosts(' , ')).toEqual([]);
  });

  it.each([
    'http://example.com',
    'example.com/path',
    'example.com:0',
    'example.com:70000',
    'user@host',
    '::1',
  ])('rejects %s naming OUTBOUND_ALLOWED_HOSTS', (entry) => {
    expect(() => parseAllowedHosts(`ok.example, ${entry}`)).toThrow(
      expect.objectContaining({
        name: 'ConfigurationError',
        message: expect.stringContaining(`OUTBOUND_ALLOWED_HOSTS: "${entry}"`),
      }),
    );
  });
});

describe('isAllowedHost', () => {
  const allowed = parseAllowedHosts('api.internal, 127.0.0.1:8080, [::1]:443');

  it.each([
    ['http://api.internal/x', true],
    ['https://API.internal:9443/x', true],
    ['http://127.0.0.1:8080/', true],
    ['http://2130706433:8080/', true],
    ['http://127.0.0.1:8081/', false],
    ['http://127.0.0.1/', false],
    ['https://[::1]/', true],
    ['http://[::1]/', false],
    ['http://api.internal.evil.example/', false],
  ])('%s is allowed: %s', (url, expected) => {
    expect(isAllowedHost(new URL(url), allowed)).toBe(expected);
  });

  it('allows exactly the host and port of a configured endpoint', () => {
    const endpoint = [allowedHostOf(new URL('http://127.0.0.1:4010/v1'))];
    expect(isAllowedHost(new URL('http://127.0.0.1:4010/v1/chat/completions'), endpoint)).toBe(true);
    expect(isAllowedHost(new URL('http://127.0.0.1:4011/'), endpoint)).toBe(false);
    expect(
      isAllowedHost(new URL('https://api.openai.com/v1'), [allowedHostOf(new URL('https://api.openai.com'))]),
    ).toBe(true);
  });
});
