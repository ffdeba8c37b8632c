import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LlmClientError,
  LlmProviderError,
  NON_RETRYABLE_ERRORS,
} from '../../../../functions/shared/actions/errors';
import { createOpenAiCompatibleProvider } from '../../../../functions/shared/actions/llm/openai-compatible';
import { parseAllowedHost } from '../../../../functions/shared/actions/outbound/allowed-hosts';
import { type FakeLlm, startFakeLlm } from '../../../../local/fake-llm';

let fake: FakeLlm;

beforeAll(async () => {
  fake = await startFakeLlm();
});

afterAll(async () => {
  await fake.close();
});

// The fake LLM listens on loopback, which the outbound-address guard refuses; it is reachable here because
// it is the configured base URL, whose host:port the provider allowlists (as the deployment's own config).
function provider(options: { apiKey?: string; timeoutMs?: number; maxRetries?: number } = {}) {
  const delays: number[] = [];
  const llm = createOpenAiCompatibleProvider({
    baseUrl: `${fake.url}/`,
    apiKey: options.apiKey,
    timeoutMs: options.timeoutMs,
    retry: { maxRetries: options.maxRetries },
    sleep: async (ms) => void delays.push(ms),
    random: () => 0,
  });
  return { llm, delays };
}

describe('OpenAI-compatible provider (against the fake LLM over HTTP)', () => {
  it('posts a chat completion and maps text, model, token usage, cached tokens and tool calls', async () => {
    const { llm } = provider({ apiKey: 'sk-test' });
    const response = await llm.chat({
      model: 'gpt-test',
      messages: [
        { role: 'system', content: 'You summarise.' },
        { role: 'user', content: 'Summarise the quarterly report please' },
      ],
      maxTokens: 64,
      temperature: 0.2,
    });
    expect(response).toMatchObject({
      text: 'Summary: Summarise the quarterly report please',
      model: 'gpt-test',
      provider: 'openai',
      // The fake LLM reports the system message's words as served from its prompt cache.
      usage: { inputTokens: 7, outputTokens: 6, cachedTokens: 2 },
      toolCalls: 0,
      attempts: 1,
      stopReason: 'stop',
    });
    expect(response.latencyMs).toBeGreaterThanOrEqual(0);
    const request = fake.requests.at(-1);
    expect(request).toMatchObject({ path: '/v1/chat/completions', authorization: 'Bearer sk-test' });
    expect(request?.body).toMatchObject({ model: 'gpt-test', max_tokens: 64, temperature: 0.2 });
  });

  it('sends no Authorization header without an API key', async () => {
    const { llm } = provider();
    await llm.chat({ model: 'm', messages: [{ role: 'user', content: 'no key' }] });
    expect(fake.requests.at(-1)?.authorization).toBeUndefined();
  });

  it('retries a 429 after its Retry-After and succeeds', async () => {
    const { llm, delays } = provider();
    const response = await llm.chat({
      model: 'm',
      messages: [{ role: 'user', content: 'busy model [fail:429]' }],
    });
    expect(response).toMatchObject({ text: 'Summary: busy model', attempts: 2 });
    expect(delays).toEqual([1_000]);
  });

  it('retries a 500 and succeeds', async () => {
    const { llm } = provider();
    const response = await llm.chat({
      model: 'm',
      messages: [{ role: 'user', content: 'glitch [fail:500]' }],
    });
    expect(response.attempts).toBe(2);
  });

  it('throws LlmProviderError with the status once retries run out', async () => {
    const { llm, delays } = provider({ maxRetries: 2 });
    const error = await llm
      .chat({ model: 'm', messages: [{ role: 'user', content: 'down [fail-always:503]' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmProviderError);
    expect(error).toMatchObject({ name: 'LlmProviderError', details: { status: 503, attempts: 3 } });
    expect(delays).toHaveLength(2);
  });

  it('does not retry a 400 and reports the provider message, as an LlmClientError', async () => {
    const { llm, delays } = provider();
    const error = await llm
      .chat({ model: 'm', messages: [{ role: 'user', content: 'bad [fail-always:400]' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmClientError);
    expect(error).toMatchObject({ name: 'LlmClientError', details: { status: 400, attempts: 1 } });
    expect((error as Error).message).toContain('Forced failure 400');
    expect(delays).toEqual([]);
  });

  it('names a bad API key (401), a forbidden (403) or an unknown model (404) LlmClientError, never retried by the workflow', async () => {
    expect(NON_RETRYABLE_ERRORS).toContain('LlmClientError');
    for (const status of [401, 403, 404, 422]) {
      const { llm, delays } = provider();
      const error = await llm
        .chat({ model: 'm', messages: [{ role: 'user', content: `refused [fail-always:${status}]` }] })
        .catch((e: unknown) => e);
      expect(error, String(status)).toMatchObject({
        name: 'LlmClientError',
        details: { status, attempts: 1 },
      });
      // Still an LlmProviderError for code that catches provider failures.
      expect(error).toBeInstanceOf(LlmProviderError);
      expect(delays).toEqual([]);
    }
  });

  it('keeps a 408 or 429 that outlasted the retries an LlmProviderError, which the workflow retries', async () => {
    for (const status of [408, 429]) {
      const { llm } = provider({ maxRetries: 1 });
      const error = await llm
        .chat({ model: 'm', messages: [{ role: 'user', content: `busy [fail-always:${status}]` }] })
        .catch((e: unknown) => e);
      expect(error, String(status)).toMatchObject({
        name: 'LlmProviderError',
        details: { status, attempts: 2 },
      });
      expect(error).not.toBeInstanceOf(LlmClientError);
    }
  });

  it('retries a timed-out attempt', async () => {
    const { llm, delays } = provider({ timeoutMs: 150, maxRetries: 1 });
    const error = await llm
      .chat({ model: 'm', messages: [{ role: 'user', content: 'slow [delay:2000]' }] })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'LlmProviderError',
      details: { code: 'HttpTimeoutError', attempts: 2 },
    });
    expect(delays).toHaveLength(1);
  });

  describe('behind an endpoint that redirects', () => {
    let redirector: Server;
    let redirectorUrl: string;

    beforeAll(async () => {
      redirector = createServer((req, res) => {
        res.writeHead(307, { location: `${fake.url}${req.url?.replace(/^\/v1/, '')}` });
        res.end();
      });
      await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
      redirectorUrl = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/v1`;
    });

    afterAll(async () => {
      redirector.closeAllConnections();
      await new Promise((resolve) => redirector.close(resolve));
    });

    it('refuses a redirect to a loopback host that is not allowlisted, without retrying', async () => {
      const before = fake.requests.length;
      const llm = createOpenAiCompatibleProvider({ baseUrl: redirectorUrl, sleep: async () => undefined });
      const error = await llm
        .chat({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'OutboundAddressRefused', host: new URL(fake.url).host });
      expect(fake.requests.length).toBe(before);
    });

    it('follows it to a host the deployment allowlists', async () => {
      const llm = createOpenAiCompatibleProvider({
        baseUrl: redirectorUrl,
        outbound: { allowedHosts: [parseAllowedHost(new URL(fake.url).host)] },
      });
      const response = await llm.chat({ model: 'm', messages: [{ role: 'user', content: 'hello there' }] });
      expect(response.text).toBe('Summary: hello there');
    });
  });
});
