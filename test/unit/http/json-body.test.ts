import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../../functions/shared/http/errors';
import { MAX_JSON_DEPTH, parseJsonBody } from '../../../functions/shared/http/json-body';

const event = (body: string, contentType = 'application/json') =>
  ({
    headers: { 'content-type': contentType },
    body,
    isBase64Encoded: false,
  }) as unknown as APIGatewayProxyEventV2;

const nested = (depth: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
};

function detailOf(body: string) {
  try {
    parseJsonBody(event(body));
  } catch (error) {
    if (error instanceof HttpError) return { status: error.statusCode, ...error.details?.[0] };
    throw error;
  }
  return undefined;
}

describe('parseJsonBody', () => {
  it(`accepts a body nested exactly ${MAX_JSON_DEPTH} levels and refuses one level more, naming the outermost field`, () => {
    expect(detailOf(JSON.stringify(nested(MAX_JSON_DEPTH)))).toBeUndefined();
    expect(detailOf(JSON.stringify({ workflowId: 'w', input: nested(MAX_JSON_DEPTH) }))).toMatchObject({
      status: 400,
      field: 'input',
      rule: 'max-depth',
    });
  });

  it('refuses a 100,000-deep array without exhausting the stack', () => {
    expect(detailOf('['.repeat(100_000) + ']'.repeat(100_000))).toMatchObject({
      status: 400,
      rule: 'max-depth',
    });
  });

  it.each([
    ['an integer beyond 2^53', '{"input":{"n":12345678901234567890}}', 'input.n'],
    ['1e308', '{"input":[1, 1e308]}', 'input[1]'],
    ['a decimal below DynamoDB range', '{"x":1.5e-200}', 'x'],
  ])('refuses %s, naming its path', (_name, body, field) => {
    expect(detailOf(body)).toMatchObject({ status: 400, field, rule: 'number-range' });
  });

  it('accepts ordinary numbers', () => {
    expect(detailOf('{"a":[0,-1,1.5,9007199254740991,-9007199254740991,-2.5e-10,1e-129]}')).toBeUndefined();
  });

  it('refuses a __proto__ key anywhere, naming its path', () => {
    expect(detailOf('{"input":{"a":{"__proto__":{"x":1}}}}')).toMatchObject({
      status: 400,
      field: 'input.a.__proto__',
      rule: 'reserved-key',
    });
  });

  it('refuses a lone surrogate in a string or a key, which storage would turn into U+FFFD, naming its path', () => {
    expect(detailOf('{"idempotencyKey":"k\\ud800"}')).toMatchObject({
      status: 400,
      field: 'idempotencyKey',
      rule: 'unicode',
    });
    expect(detailOf('{"input":{"a":["\\udc00"]}}')).toMatchObject({ field: 'input.a[0]', rule: 'unicode' });
    expect(detailOf('{"input":{"\\ud800":1}}')).toMatchObject({ field: 'input', rule: 'unicode' });
    expect(detailOf('{"input":"\\ud83d\\ude42 \\u202e \\u0000"}')).toBeUndefined();
  });

  it('names the body for malformed and empty JSON, and answers 415 for another content type', () => {
    expect(detailOf('{"a":')).toMatchObject({ status: 400, field: 'body', rule: 'json' });
    expect(detailOf('')).toMatchObject({ status: 400, field: 'body', rule: 'json' });
    expect(() => parseJsonBody(event('{}', 'text/plain'))).toThrow(/Content-Type must be application\/json/);
  });

  it('refuses a body that is not valid UTF-8 with a 400 naming the body, rather than reading U+FFFD', () => {
    for (const bytes of [
      [0x22, 0xff, 0x22],
      [0x22, 0xc3, 0x22],
      [0x22, 0xed, 0xa0, 0x80, 0x22],
    ]) {
      const base64 = { ...event(Buffer.from(bytes).toString('base64')), isBase64Encoded: true };
      expect(() => parseJsonBody(base64)).toThrow(
        expect.objectContaining({
          statusCode: 400,
          details: [expect.objectContaining({ field: 'body', rule: 'utf-8' })],
        }),
      );
    }
    const valid = { ...event(Buffer.from('"é🙂\ufffd"').toString('base64')), isBase64Encoded: true };
    expect(parseJsonBody(valid)).toBe('é🙂\ufffd');
  });

  it('answers 415 naming the charset for a charset other than UTF-8, and accepts utf-8 however spelled', () => {
    for (const contentType of [
      'application/json; charset=latin1',
      'application/json;charset="ISO-8859-1"',
      'application/json; charset=',
    ]) {
      expect(() => parseJsonBody(event('{}', contentType)), contentType).toThrow(
        expect.objectContaining({
          statusCode: 415,
          message: expect.stringMatching(/charset must be utf-8/),
          details: [expect.objectContaining({ field: 'Content-Type', rule: 'charset' })],
        }),
      );
    }
    for (const contentType of [
      'application/json; charset=utf-8',
      'application/json;charset="UTF-8"',
      'application/json; charset=utf8; x=y',
      'Application/JSON',
    ]) {
      expect(parseJsonBody(event('{}', contentType)), contentType).toEqual({});
    }
  });

  it('shows a refused Content-Type, charset or Content-Encoding cut and with control characters escaped', () => {
    for (const headers of [
      { 'content-type': `text/\u0085${'p'.repeat(10_000)}` },
      { 'content-type': `application/json; charset=x\u0085${'q'.repeat(10_000)}` },
      { 'content-type': 'application/json', 'content-encoding': `gzip\u0085${'z'.repeat(10_000)}` },
    ]) {
      let error: unknown;
      try {
        parseJsonBody({ ...event('{}'), headers } as unknown as APIGatewayProxyEventV2);
      } catch (caught) {
        error = caught;
      }
      expect(error).toMatchObject({ statusCode: 415 });
      const message = (error as HttpError).message;
      expect(message.length).toBeLessThan(300);
      expect(message).not.toContain('\u0085');
      expect(message).toContain('\\u0085');
    }
  });

  it('answers 415 to two media types or two charsets (a repeated header joins with commas), and to a compressed body', () => {
    for (const contentType of [
      'application/json; charset=utf-8; charset=latin1',
      'application/json; charset=utf-8, text/plain',
      'application/json, application/json',
    ]) {
      expect(() => parseJsonBody(event('{}', contentType)), contentType).toThrow(
        expect.objectContaining({
          statusCode: 415,
          details: [expect.objectContaining({ field: 'Content-Type', rule: 'media-type' })],
        }),
      );
    }
    const gzipped = {
      ...event('{}'),
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    };
    expect(() => parseJsonBody(gzipped)).toThrow(
      expect.objectContaining({
        statusCode: 415,
        details: [expect.objectContaining({ field: 'Content-Encoding', rule: 'encoding' })],
      }),
    );
    const identity = {
      ...event('{}'),
      headers: { 'content-type': 'application/json', 'content-encoding': 'identity' },
    };
    expect(parseJsonBody(identity)).toEqual({});
  });
});
