import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answer, FAKE_LLM_MODEL, type FakeLlm, KEPT_REQUESTS, startFakeLlm } from '../../../local/fake-llm';

let fake: FakeLlm;

beforeAll(async () => {
  fake = await startFakeLlm();
});

afterAll(async () => {
  await fake.close();
});

// The parts of an OpenAI chat completion the tests read.
type Completion = { choices: { message: { content: string } }[]; [key: string]: unknown };

const completion = async (response: Response) => (await response.json()) as Completion;

function chat(body: unknown, raw?: string) {
  return fetch(`${fake.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: raw ?? JSON.stringify(body),
  });
}

describe('fake LLM server', () => {
  it('serves an OpenAI-compatible base URL ending in /v1', () => {
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  });

  it('answers a chat completion deterministically, echoing the model and counting words as tokens', async () => {
    const body = {
      model: 'any-model',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Tell me about the weather in Paris today' },
      ],
    };
    const first = await completion(await chat(body));
    const second = await completion(await chat(body));
    expect(first).toMatchObject({
      object: 'chat.completion',
      model: 'any-model',
      choices: [
        {
          message: { role: 'assistant', content: 'Summary: Tell me about the weather in Paris today' },
          finish_reason: 'stop',
        },
      ],
      usage: { prompt_tokens: 10, completion_tokens: 9, total_tokens: 19 },
    });
    expect(second.choices).toEqual(first.choices);
  });

  it('returns a JSON array string when the prompt asks for a JSON list', async () => {
    const response = await completion(
      await chat({ model: 'm', messages: [{ role: 'user', content: 'Return a JSON list of 4 city names' }] }),
    );
    const items = JSON.parse(response.choices[0]?.message.content ?? '');
    expect(items).toHaveLength(4);
    expect(items[0]).toBe('item 1: Return a JSON list of 4');
  });

  it('accepts content given as an array of text parts', async () => {
    const response = await completion(
      await chat({
        model: 'm',
        messages: [{ role: 'user', content: [{ type: 'text', text: 'hello there' }] }],
      }),
    );
    expect(response.choices[0]?.message.content).toBe('Summary: hello there');
  });

  it('fails a [fail:429] prompt once with Retry-After: 1, then answers it', async () => {
    const body = { model: 'm', messages: [{ role: 'user', content: 'flaky one [fail:429]' }] };
    const first = await chat(body);
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('1');
    expect(await first.json()).toMatchObject({ error: { type: 'rate_limit_exceeded' } });
    const second = await chat(body);
    expect(second.status).toBe(200);
    expect((await completion(second)).choices[0]?.message.content).toBe('Summary: flaky one');
  });

  it('fails a [fail-always:500] prompt every time', async () => {
    const body = { model: 'm', messages: [{ role: 'user', content: 'broken [fail-always:500]' }] };
    expect((await chat(body)).status).toBe(500);
    expect((await chat(body)).status).toBe(500);
  });

  it('answers 400 to malformed JSON and to a request without messages', async () => {
    const malformed = await chat(undefined, '{"model": ');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
    expect((await chat({ model: 'm', messages: [] })).status).toBe(400);
    expect((await chat({ messages: [{ role: 'user', content: 'x' }] })).status).toBe(400);
  });

  it('lists one model', async () => {
    const response = await fetch(`${fake.url}/models`);
    expect(await response.json()).toEqual({
      object: 'list',
      data: [{ id: FAKE_LLM_MODEL, object: 'model', created: 0, owned_by: 'stepwise' }],
    });
  });

  it('answers 404 to unknown paths', async () => {
    expect((await fetch(`${fake.url}/embeddings`, { method: 'POST', body: '{}' })).status).toBe(404);
  });

  it('records requests with their Authorization header', async () => {
    await fetch(`${fake.url}/models`, { headers: { authorization: 'Bearer k-1' } });
    expect(fake.requests.at(-1)).toMatchObject({
      method: 'GET',
      path: '/v1/models',
      authorization: 'Bearer k-1',
    });
  });

  // The stack's fake serves every llm step of an `npm start` left running: its record must not grow with them.
  it('keeps only the latest KEPT_REQUESTS requests', async () => {
    const own = await startFakeLlm();
    try {
      for (let n = 0; n < KEPT_REQUESTS + 5; n++) {
        await fetch(`${own.url}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: `prompt ${n}` }] }),
        });
      }
      expect(own.requests).toHaveLength(KEPT_REQUESTS);
      const prompt = (request: (typeof own.requests)[number] | undefined) =>
        (request?.body as { messages: { content: string }[] } | undefined)?.messages[0]?.content;
      expect(prompt(own.requests[0])).toBe('prompt 5');
      expect(prompt(own.requests.at(-1))).toBe(`prompt ${KEPT_REQUESTS + 4}`);
    } finally {
      await own.close();
    }
  });

  it('summarises long prompts to their first 12 words', () => {
    expect(answer('one two three four five six seven eight nine ten eleven twelve thirteen')).toBe(
      'Summary: one two three four five six seven eight nine ten eleven twelve…',
    );
  });
});
