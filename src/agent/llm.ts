import OpenAI from 'openai';
import { AIMessage, createAgent, HumanMessage, type BaseMessage } from 'langchain';
import { ChatOpenAI } from '@langchain/openai';
import type { Config, TriageIncident } from '../model/index.js';
import type { Db } from '../store/index.js';
import { EMBEDDING_DIMENSIONS, type Embedder } from '../engines/embeddings/embedder.js';
import { FENCE_RULE, fenceJson } from './fence.js';
import { checkGrounding } from './grounding.js';
import { narrateIncident, type Narration, type NarrationResult, type Narrator } from './narrate.js';
import { prompt } from './prompts.js';
import { langchainTools } from './tools.js';

/**
 * The LLM side, against any OpenAI-compatible endpoint (OpenAI, Azure OpenAI, vLLM, Ollama, llama.cpp,
 * LM Studio): OPENAI_BASE_URL (else llm.baseUrl in idcopilot.yaml), OPENAI_API_KEY from the
 * environment only, the model named in the configuration. Without an endpoint nothing here runs.
 */
export interface LlmSettings {
  baseUrl: string;
  apiKey: string;
  model: string;
  embeddingModel: string | null;
  maxSteps: number;
  timeoutMs: number;
}

export function llmSettings(cfg: Config, env: NodeJS.ProcessEnv = process.env): LlmSettings | null {
  const baseUrl = env.OPENAI_BASE_URL || cfg.llm.baseUrl;
  if (!baseUrl) return null;
  return {
    baseUrl,
    // Local servers (Ollama, llama.cpp) accept any key; the SDK insists on one.
    apiKey: env.OPENAI_API_KEY || 'unused',
    model: cfg.llm.model,
    embeddingModel: cfg.llm.embeddingModel,
    maxSteps: cfg.llm.maxSteps,
    timeoutMs: cfg.llm.timeoutMs,
  };
}

export function chatModel(s: LlmSettings): ChatOpenAI {
  return new ChatOpenAI({ model: s.model, apiKey: s.apiKey, temperature: 0, maxRetries: 0, timeout: s.timeoutMs, configuration: { baseURL: s.baseUrl } });
}

/**
 * The LLM narrator: a LangChain agent (createAgent) with the read-only tools of the registry, bounded
 * in steps and time. Its text is used only when the grounding guard accepts it; otherwise the
 * deterministic text stands and `narrator.fallbackReason` says why.
 */
export class LlmNarrator implements Narrator {
  readonly kind = 'llm' as const;

  constructor(private readonly db: Db, private readonly cfg: Config, private readonly s: LlmSettings) {}

  async narrate(inc: TriageIncident): Promise<NarrationResult> {
    const fallback = narrateIncident(inc);
    const toolCalls: string[] = [];
    const base = { model: this.s.model, toolCalls };
    let answer: Narration;
    try {
      const text = await this.ask(inc, toolCalls);
      answer = parseNarration(text);
    } catch (err) {
      return { ...fallback, info: { kind: 'deterministic', ...base, fallbackReason: `LLM answer not used: ${reasonOf(err)}` } };
    }
    const g = await checkGrounding(this.db, inc, answer);
    if (!g.ok) return { ...fallback, info: { kind: 'deterministic', ...base, fallbackReason: `LLM answer rejected by the grounding guard: ${g.reason}` } };
    return { ...answer, info: { kind: 'llm', ...base, fallbackReason: null } };
  }

  private async ask(inc: TriageIncident, toolCalls: string[]): Promise<string> {
    const agent = createAgent({
      model: chatModel(this.s),
      tools: langchainTools({ db: this.db, config: this.cfg }, { readOnly: true }),
      systemPrompt: prompt('narrator-system.txt', { fenceRule: FENCE_RULE }),
    });
    const user = prompt('narrator-user.txt', {
      id: inc.id, rank: inc.rank, severity: inc.severity, score: inc.score, happeningNow: inc.happeningNow ? ', happening now' : '',
      facts: fenceJson(factsFor(inc), `incident ${inc.id}`),
    });
    const signal = AbortSignal.timeout(this.s.timeoutMs);
    // Each step is a model call and a tool call: the limit bounds how far the model may investigate.
    const result = await agent.invoke({ messages: [new HumanMessage(user)] }, { recursionLimit: 2 * this.s.maxSteps + 2, signal });
    const messages = (result as { messages: BaseMessage[] }).messages;
    for (const m of messages) if (AIMessage.isInstance(m)) for (const c of m.tool_calls ?? []) toolCalls.push(c.name);
    const last = [...messages].reverse().find((m) => AIMessage.isInstance(m));
    if (!last) throw new Error('no answer');
    return typeof last.content === 'string' ? last.content : last.content.map((c) => ('text' in c ? String(c.text) : '')).join('');
  }
}

/** The facts a model gets: the assessment without the bulk (full event lists, commands). */
export function factsFor(inc: TriageIncident): Record<string, unknown> {
  return {
    id: inc.id, title: inc.title, severity: inc.severity, rank: inc.rank, score: inc.score, status: inc.status, happeningNow: inc.happeningNow,
    rootIdentity: inc.rootIdentity, person: inc.person, chain: inc.chain,
    entities: inc.entities, owner: inc.ownerDetail, firstSeen: inc.firstSeen, lastSeen: inc.lastSeen,
    activity: inc.activity, impact: inc.impact, alerts: inc.signals.slice(0, 10), exampleEvents: inc.events.slice(0, 5),
    priorityFactors: inc.priorityFactors,
    actions: inc.actions.map((a) => ({ action: a.action, target: a.target, urgency: a.urgency, reason: a.reason, dependents: a.dependents.slice(0, 5) })),
  };
}

/** The model's JSON answer (a ```json block or prose around it is tolerated). */
export function parseNarration(text: string): Narration {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start === -1 || end <= start) throw new Error('the answer is not the JSON object asked for');
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(text.slice(start, end + 1));
  } catch {
    throw new Error('the answer is not valid JSON');
  }
  const what = v.whatIsHappening;
  const now = v.whatNeedsActionNow;
  if (typeof what !== 'string' || typeof now !== 'string') throw new Error('the answer lacks whatIsHappening or whatNeedsActionNow');
  return { whatIsHappening: what.trim(), whatNeedsActionNow: now.trim() };
}

function reasonOf(err: unknown): string {
  const e = err as Error & { status?: number; name?: string };
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError' || /abort|timed? ?out/i.test(e?.message ?? '')) return 'the endpoint did not answer in time';
  if (e?.name === 'GraphRecursionError' || /recursion/i.test(e?.message ?? '')) return 'the model kept calling tools past the step limit';
  if (e?.status) return `the endpoint answered HTTP ${e.status}`;
  return String(e?.message ?? err).split('\n')[0].slice(0, 200);
}

/**
 * Embeddings from an OpenAI-compatible endpoint, through the openai SDK. The store keeps 256
 * dimensions: the model is asked for 256 (text-embedding-3 models shorten natively), and a server that
 * returns another size is folded to 256 and re-normalised, so vectors stay comparable within a model.
 */
export class OpenAIEmbedder implements Embedder {
  readonly dimensions = EMBEDDING_DIMENSIONS;
  readonly model: string;
  private readonly client: OpenAI;

  constructor(s: LlmSettings & { embeddingModel: string }) {
    this.model = `openai:${s.embeddingModel}`;
    this.client = new OpenAI({ baseURL: s.baseUrl, apiKey: s.apiKey, timeout: s.timeoutMs, maxRetries: 1 });
    this.name = s.embeddingModel;
  }

  private readonly name: string;

  async embed(texts: string[]): Promise<number[][]> {
    if (!texts.length) return [];
    // The SDK asks for base64 and decodes it; a server must answer that encoding (tests/helpers/openai-server.ts does).
    const r = await this.client.embeddings.create({ model: this.name, input: texts, dimensions: this.dimensions });
    return r.data.sort((a, b) => a.index - b.index).map((d) => fold(d.embedding as number[], this.dimensions));
  }
}

export function fold(v: ArrayLike<number>, n: number): number[] {
  const out = new Array<number>(n).fill(0);
  for (let i = 0; i < v.length; i++) out[i % n] += v[i];
  const norm = Math.sqrt(out.reduce((s, x) => s + x * x, 0)) || 1;
  return out.map((x) => Math.round((x / norm) * 1e5) / 1e5);
}

export function embedderFor(cfg: Config, env: NodeJS.ProcessEnv = process.env): Embedder | null {
  const s = llmSettings(cfg, env);
  return s?.embeddingModel ? new OpenAIEmbedder({ ...s, embeddingModel: s.embeddingModel }) : null;
}
