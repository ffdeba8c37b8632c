// A small OpenAI-compatible chat-completions server for local runs and tests without internet: point
// LLM_BASE_URL at its `url`. Answers are deterministic, derived from the last user message:
//   - a prompt asking for a JSON list/array (e.g. "Return a JSON list of 3 topics") gets a JSON array
//     string of N items (N = the first number in the prompt, default 3, at most 20):
//     ["item 1: <first words of the prompt>", ...];
//   - any other prompt gets "Summary: <its first 12 words>" (with "…" when longer).
// usage counts whitespace-separated words: prompt_tokens over all messages, completion_tokens over the
// answer; usage.prompt_tokens_details.cached_tokens counts the system messages' words (a provider's prompt
// cache serves a repeated system prompt). `model` echoes the request's.
// Test hooks, written anywhere in the last user message:
//   [fail:NNN]   the first request with this exact prompt gets HTTP NNN (400-599) with an OpenAI-style
//                error body (and `Retry-After: 1` for 429 and 503); later ones succeed.
//   [fail-always:NNN]  every request with the prompt gets HTTP NNN.
//   [delay:MS]   the answer is sent after MS milliseconds (at most 30000), to exercise timeouts.
// Routes: POST /v1/chat/completions, GET /v1/models. Malformed JSON or a request without `model` and
// `messages` gets 400. Run alone with `tsx local/fake-llm.ts [port]`.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { pathToFileURL } from 'node:url';
import { closeServer, listen } from './listen';

export const FAKE_LLM_MODEL = 'fake-llm-1';
const MAX_BODY_BYTES = 1024 * 1024;
const MAX_DELAY_MS = 30_000;
/**
 * Requests kept for assertions, newest last: the stack's fake serves every `llm` step of a `npm start` left
 * running for days, and a record per call (its body included) would grow the process without bound.
 */
export const KEPT_REQUESTS = 1_000;

export interface FakeLlmOptions {
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
}

export interface FakeLlmRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization?: string;
  readonly body?: unknown;
}

export interface FakeLlm {
  /** Base URL ending in /v1, for LLM_BASE_URL. */
  readonly url: string;
  /** The latest KEPT_REQUESTS requests received, oldest first (for assertions). */
  readonly requests: readonly FakeLlmRequest[];
  close(): Promise<void>;
}

interface ChatBody {
  readonly model: string;
  readonly messages: readonly { readonly role: string; readonly content: unknown }[];
}

export async function startFakeLlm(options: FakeLlmOptions = {}): Promise<FakeLlm> {
  const requests: FakeLlmRequest[] = [];
  const keep = (request: FakeLlmRequest) => {
    if (requests.length >= KEPT_REQUESTS) requests.splice(0, requests.length - KEPT_REQUESTS + 1);
    requests.push(request);
  };
  const failedOnce = new Set<string>();
  let completions = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname.replace(/\/+$/, '');
    const record = { method: req.method ?? 'GET', path, authorization: req.headers.authorization };
    if (path === '/v1/models') {
      keep(record);
      if (req.method !== 'GET') return sendError(res, 405, 'Method not allowed', 'invalid_request_error');
      return sendJson(res, 200, {
        object: 'list',
        data: [{ id: FAKE_LLM_MODEL, object: 'model', created: 0, owned_by: 'stepwise' }],
      });
    }
    if (path !== '/v1/chat/completions') {
      keep(record);
      return sendError(res, 404, `Unknown path ${path}`, 'invalid_request_error');
    }
    if (req.method !== 'POST') return sendError(res, 405, 'Method not allowed', 'invalid_request_error');
    const raw = await readBody(req);
    if (raw === undefined) return sendError(res, 413, 'Request body too large', 'invalid_request_error');
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      keep(record);
      return sendError(res, 400, 'Malformed JSON body', 'invalid_request_error');
    }
    keep({ ...record, body });
    if (!isChatBody(body)) {
      return sendError(
        res,
        400,
        'Request needs a string `model` and a non-empty `messages` array',
        'invalid_request_error',
      );
    }
    const prompt = lastUserMessage(body);
    const delay = /\[delay:(\d+)\]/.exec(prompt);
    if (delay?.[1])
      await new Promise((resolve) => setTimeout(resolve, Math.min(Number(delay[1]), MAX_DELAY_MS)));
    const failure = /\[fail(-always)?:(\d{3})\]/.exec(prompt);
    const failStatus = Number(failure?.[2]);
    if (failure && failStatus >= 400 && failStatus <= 599 && (failure[1] || !failedOnce.has(prompt))) {
      failedOnce.add(prompt);
      if (failStatus === 429 || failStatus === 503) res.setHeader('retry-after', '1');
      return sendError(
        res,
        failStatus,
        `Forced failure ${failStatus}`,
        failStatus === 429 ? 'rate_limit_exceeded' : 'server_error',
      );
    }
    const text = answer(prompt);
    completions++;
    const wordsOf = (role?: string) =>
      body.messages
        .filter((message) => role === undefined || message.role === role)
        .reduce((sum, message) => sum + countWords(contentText(message.content)), 0);
    const promptTokens = wordsOf();
    const cachedTokens = wordsOf('system');
    return sendJson(res, 200, {
      id: `chatcmpl-fake-${completions}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: countWords(text),
        total_tokens: promptTokens + countWords(text),
        // As a provider's prompt cache would: the system messages, repeated call after call, are a hit.
        prompt_tokens_details: { cached_tokens: cachedTokens },
      },
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent)
        sendError(res, 500, error instanceof Error ? error.message : String(error), 'server_error');
      else res.destroy();
    });
  });
  const origin = await listen(server, options.port ?? 0, options.host ?? '127.0.0.1');
  return { url: `${origin}/v1`, requests, close: () => closeServer(server) };
}

/** The deterministic answer for a prompt (exported so tests and docs can show it). */
export function answer(prompt: string): string {
  const clean = prompt.replace(/\[(fail|fail-always|delay):\d+\]/g, ' ').trim();
  const words = clean.split(/\s+/).filter(Boolean);
  if (/\bjson\b[^.]*\b(list|array)\b/i.test(clean)) {
    const count = Math.min(Math.max(Number(/\b(\d+)\b/.exec(clean)?.[1] ?? 3), 1), 20);
    const topic = words.slice(0, 6).join(' ');
    return JSON.stringify(Array.from({ length: count }, (_, index) => `item ${index + 1}: ${topic}`));
  }
  return `Summary: ${words.slice(0, 12).join(' ')}${words.length > 12 ? '…' : ''}`;
}

function lastUserMessage(body: ChatBody): string {
  const user = [...body.messages].reverse().find((message) => message.role === 'user');
  return user ? contentText(user.content) : '';
}

/** String content, or the text parts of an array of content parts. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: unknown) =>
      typeof part === 'object' && part !== null && typeof (part as { text?: unknown }).text === 'string'
        ? (part as { text: string }).text
        : '',
    )
    .join(' ');
}

function countWords(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

function isChatBody(body: unknown): body is ChatBody {
  if (typeof body !== 'object' || body === null) return false;
  const { model, messages } = body as { model?: unknown; messages?: unknown };
  return (
    typeof model === 'string' &&
    model !== '' &&
    Array.isArray(messages) &&
    messages.length > 0 &&
    messages.every(
      (message) => typeof message === 'object' && message !== null && typeof message.role === 'string',
    )
  );
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, status: number, message: string, type: string): void {
  sendJson(res, status, { error: { message, type, code: type, param: null } });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const port = Number(process.argv[2] ?? process.env.PORT ?? 0);
  startFakeLlm({ port }).then((fake) => {
    console.log(`fake LLM listening: LLM_BASE_URL=${fake.url}`);
    const stop = () => void fake.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
