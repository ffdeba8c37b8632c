import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidStepParams, UnknownStepType } from '../../../functions/shared/actions/errors';
import type { InvokeClient } from '../../../functions/shared/actions/lambda';
import type { LlmProvider } from '../../../functions/shared/actions/llm/provider';
import { type AllowedHost, parseAllowedHost } from '../../../functions/shared/actions/outbound/allowed-hosts';
import { type ActionDeps, createActionRunner, runAction } from '../../../functions/shared/actions/run-action';
import { type FakeLlm, startFakeLlm } from '../../../local/fake-llm';

const fakeProvider: LlmProvider = {
  name: 'openai',
  chat: async (request) => ({
    text: 'hello',
    model: request.model,
    usage: { inputTokens: 5, outputTokens: 1 },
    latencyMs: 42,
    provider: 'openai',
    attempts: 2,
  }),
};

// The http server below is on loopback; allowlisted here as a deployment would (`allowed`).
const allowed: AllowedHost[] = [];
const MY_FN = 'arn:aws:lambda:eu-west-1:123456789012:function:my-fn';

const deps: ActionDeps = {
  http: { outbound: { allowedHosts: allowed }, sleep: async () => undefined },
  llm: { defaultProvider: 'openai', defaultModel: 'm-1', provider: () => fakeProvider },
  lambda: () =>
    ({
      send: async () => ({
        $metadata: {},
        StatusCode: 200,
        Payload: new TextEncoder().encode('{"ok":true}') as unknown as InvokeCommandOutput['Payload'],
      }),
    }) as InvokeClient,
  lambdaFunctions: { 'org-a': [MY_FN] },
};
const task = { orgId: 'org-a' };

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"pong":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  allowed.push(parseAllowedHost(new URL(base).host));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('runAction', () => {
  it('runs an http step and reports its attempts', async () => {
    const result = await runAction('http', { url: `${base}/ping` }, deps, task);
    expect(result.output).toMatchObject({ status: 200, body: { pong: true } });
    expect(result.metrics).toEqual({ attempts: 1 });
  });

  it('runs an llm step and reports the call in metrics', async () => {
    const result = await runAction('llm', { prompt: 'hi' }, deps, task);
    expect(result.output).toEqual({
      text: 'hello',
      model: 'm-1',
      provider: 'openai',
      usage: { inputTokens: 5, outputTokens: 1 },
      latencyMs: 42,
    });
    expect(result.metrics).toEqual({
      attempts: 2,
      llm: {
        provider: 'openai',
        model: 'm-1',
        inputTokens: 5,
        outputTokens: 1,
        cachedTokens: 0,
        toolCalls: 0,
        latencyMs: 42,
      },
    });
  });

  it('runs transform and lambda steps', async () => {
    expect(await runAction('transform', { expression: 'a + 1', data: { a: 1 } }, deps, task)).toEqual({
      output: 2,
      metrics: {},
    });
    expect(await runAction('lambda', { functionArn: MY_FN }, deps, task)).toEqual({
      output: { ok: true },
      metrics: {},
    });
  });

  it.each([
    ['http', { url: 42 }, 'url'],
    ['http', { url: 'https://example.com', retry: { jitter: 'some' } }, 'retry.jitter'],
    ['llm', { prompt: 7 }, 'prompt'],
    ['llm', { prompt: 'x', topP: 1 }, 'topP'],
    ['transform', {}, 'expression'],
    ['lambda', { payload: {} }, 'functionArn'],
  ])('rejects %s params %j naming the field %s', async (type, params, field) => {
    const error = await runAction(type, params, deps, task).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidStepParams);
    expect(error).toMatchObject({ name: 'InvalidStepParams', field });
    expect((error as Error).message).toContain(`Invalid ${type} step params: ${field}`);
  });

  it('rejects params that are not an object', async () => {
    await expect(runAction('transform', 'a + 1', deps, task)).rejects.toMatchObject({
      name: 'InvalidStepParams',
    });
  });

  it('rejects an unknown step type with UnknownStepType', async () => {
    await expect(runAction('email', {}, deps, task)).rejects.toBeInstanceOf(UnknownStepType);
    await expect(runAction('email', {}, deps, task)).rejects.toMatchObject({
      name: 'UnknownStepType',
      type: 'email',
    });
  });
});

describe('createActionRunner', () => {
  let fake: FakeLlm;

  beforeAll(async () => {
    fake = await startFakeLlm();
  });

  afterAll(async () => {
    await fake.close();
  });

  it('wires the llm action to the OpenAI-compatible endpoint from the environment', async () => {
    const run = createActionRunner({
      env: {
        LLM_PROVIDER: 'openai',
        LLM_BASE_URL: fake.url,
        LLM_API_KEY: 'k',
        LLM_DEFAULT_MODEL: 'fake-llm-1',
      },
    });
    const result = await run('llm', { prompt: 'Return a JSON list of 2 colours' }, task);
    expect(JSON.parse((result.output as { text: string }).text)).toHaveLength(2);
    expect(result.metrics.llm).toMatchObject({ provider: 'openai', model: 'fake-llm-1' });
    expect(fake.requests.at(-1)?.authorization).toBe('Bearer k');
  });

  it('reads the lambda allowlist from LAMBDA_FUNCTIONS and fails at creation when it is malformed', async () => {
    const send = async () =>
      ({ $metadata: {}, StatusCode: 200, Payload: undefined }) as unknown as InvokeCommandOutput;
    const run = createActionRunner({
      env: { LAMBDA_FUNCTIONS: JSON.stringify({ 'org-a': [MY_FN] }) },
      deps: { lambda: () => ({ send }) as InvokeClient },
    });
    expect(await run('lambda', { functionArn: MY_FN }, task)).toEqual({ output: null, metrics: {} });
    await expect(run('lambda', { functionArn: MY_FN }, { orgId: 'org-b' })).rejects.toMatchObject({
      name: 'LambdaNotAllowed',
    });
    expect(() => createActionRunner({ env: { LAMBDA_FUNCTIONS: '{"org-a":"x"}' } })).toThrow(
      /LAMBDA_FUNCTIONS/,
    );
  });

  it('fails at creation when the LLM configuration is invalid', () => {
    expect(() => createActionRunner({ env: { LLM_PROVIDER: 'nope' } })).toThrow(/LLM_PROVIDER/);
  });

  it('lets http steps reach only the hosts OUTBOUND_ALLOWED_HOSTS lists', async () => {
    const url = `${base}/ping`;
    const listed = createActionRunner({
      env: { OUTBOUND_ALLOWED_HOSTS: `example.com, ${new URL(base).host}` },
    });
    expect((await listed('http', { url }, { orgId: 'org-a' })).output).toMatchObject({ status: 200 });
    const unlisted = createActionRunner({ env: {} });
    await expect(unlisted('http', { url }, { orgId: 'org-a' })).rejects.toMatchObject({
      name: 'OutboundAddressRefused',
    });
  });

  it('fails at creation when OUTBOUND_ALLOWED_HOSTS has a malformed entry', () => {
    expect(() => createActionRunner({ env: { OUTBOUND_ALLOWED_HOSTS: 'https://x.example/' } })).toThrow(
      /OUTBOUND_ALLOWED_HOSTS: "https:\/\/x.example\/"/,
    );
  });
});
