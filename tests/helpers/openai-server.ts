import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small OpenAI-compatible HTTP server of our own for tests: scripted chat completions (text or tool
 * calls), deterministic embeddings (base64 when asked, as the openai SDK asks by default), and a model
 * list. No weights anywhere: what the "model" says is whatever the test scripts.
 */
export interface ScriptedReply {
  content?: string;
  toolCalls?: { name: string; arguments: Record<string, unknown> }[];
  /** Answer with this HTTP status and an error body instead. */
  status?: number;
  delayMs?: number;
}

export interface ChatRequest {
  model: string;
  messages: { role: string; content: unknown; tool_calls?: unknown[]; tool_call_id?: string }[];
  tools?: { type: string; function: { name: string; description?: string; parameters?: unknown } }[];
  stream?: boolean;
  [k: string]: unknown;
}

export type Script = ScriptedReply[] | ((req: ChatRequest, call: number) => ScriptedReply);

export interface OpenAIServer {
  /** Base URL for the SDK (`…/v1`). */
  url: string;
  chats: ChatRequest[];
  embeddings: { model: string; input: string[]; encoding_format?: string; dimensions?: number }[];
  /** Replace the chat script (tests reuse one server). */
  script(s: Script): void;
  close(): Promise<void>;
}

export async function startOpenAIServer(opts: { chat?: Script; embedDimensions?: number } = {}): Promise<OpenAIServer> {
  let script: Script = opts.chat ?? [];
  let calls = 0;
  const chats: ChatRequest[] = [];
  const embeddings: OpenAIServer['embeddings'] = [];
  const server: Server = createServer(async (req, res) => {
    try {
      const body = req.method === 'POST' ? JSON.parse(await readBody(req)) : null;
      const path = (req.url ?? '').replace(/\?.*$/, '');
      if (req.method === 'GET' && path.endsWith('/models')) return json(res, 200, { object: 'list', data: [{ id: 'scripted', object: 'model', owned_by: 'tests' }] });
      if (req.method === 'POST' && path.endsWith('/chat/completions')) {
        chats.push(body);
        const reply = typeof script === 'function' ? script(body, calls) : script[Math.min(calls, script.length - 1)] ?? { content: '' };
        calls++;
        if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
        if (reply.status) return json(res, reply.status, { error: { message: `scripted HTTP ${reply.status}`, type: 'scripted' } });
        return body.stream ? streamChat(res, body, reply) : json(res, 200, completion(body, reply));
      }
      if (req.method === 'POST' && path.endsWith('/embeddings')) {
        const input: string[] = Array.isArray(body.input) ? body.input : [body.input];
        embeddings.push({ model: body.model, input, encoding_format: body.encoding_format, dimensions: body.dimensions });
        const dims = body.dimensions ?? opts.embedDimensions ?? 64;
        const data = input.map((text, index) => {
          const v = vectorOf(text, dims);
          return { object: 'embedding', index, embedding: body.encoding_format === 'base64' ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v };
        });
        return json(res, 200, { object: 'list', data, model: body.model, usage: { prompt_tokens: 1, total_tokens: 1 } });
      }
      json(res, 404, { error: { message: `no route ${req.method} ${path}` } });
    } catch (err) {
      json(res, 500, { error: { message: (err as Error).message } });
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    chats,
    embeddings,
    script(s) {
      script = s;
      calls = 0;
    },
    close: () => new Promise<void>((r) => {
      server.closeAllConnections?.();
      server.close(() => r());
    }),
  };
}

function completion(req: ChatRequest, reply: ScriptedReply) {
  const toolCalls = (reply.toolCalls ?? []).map((t, i) => ({ id: `call_${i}_${t.name}`, type: 'function', function: { name: t.name, arguments: JSON.stringify(t.arguments) } }));
  return {
    id: `chatcmpl-${Math.random().toString(36).slice(2)}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: req.model,
    choices: [{
      index: 0,
      message: { role: 'assistant', content: toolCalls.length ? (reply.content ?? null) : (reply.content ?? ''), ...(toolCalls.length ? { tool_calls: toolCalls } : {}) },
      finish_reason: toolCalls.length ? 'tool_calls' : 'stop',
      logprobs: null,
    }],
    usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
  };
}

function streamChat(res: ServerResponse, req: ChatRequest, reply: ScriptedReply) {
  const full = completion(req, reply);
  const msg = full.choices[0].message as Record<string, unknown>;
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const chunk = (delta: Record<string, unknown>, finish: string | null) => `data: ${JSON.stringify({ id: full.id, object: 'chat.completion.chunk', created: full.created, model: full.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  res.write(chunk({ role: 'assistant', content: msg.content ?? '' }, null));
  if (msg.tool_calls) res.write(chunk({ tool_calls: (msg.tool_calls as Record<string, unknown>[]).map((t, index) => ({ index, ...t })) }, null));
  res.write(chunk({}, full.choices[0].finish_reason));
  res.end('data: [DONE]\n\n');
}

/** Deterministic unit vectors: the same text, the same vector. */
export function vectorOf(text: string, dims: number): number[] {
  const v = new Array<number>(dims).fill(0);
  for (const w of text.toLowerCase().split(/\W+/).filter(Boolean)) {
    const h = createHash('sha256').update(w).digest();
    v[h.readUInt32LE(0) % dims] += h[4] & 1 ? 1 : -1;
  }
  const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0)) || 1;
  return v.map((x) => x / n);
}

function json(res: ServerResponse, status: number, value: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    req.setEncoding('utf8');
    req.on('data', (d) => (s += d));
    req.on('end', () => resolve(s));
    req.on('error', reject);
  });
}
