import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { hasScope, type Scope } from '../../audit/index.js';
import type { Runtime } from '../call.js';
import { PROMPTS } from '../prompts.js';
import { resourceScope } from '../resources.js';
import { buildMcpServer, callerFromExtra } from '../server.js';
import { forbidden, type RequestCaller } from './auth.js';

export interface SessionLimits {
  /** Sessions one token may hold; the least recently used is closed to make room. */
  maxPerToken: number;
  /** Sessions in all; beyond it new sessions are refused (503). */
  maxTotal: number;
  /** A session unused this long is closed. */
  idleMs: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = { maxPerToken: 16, maxTotal: 1000, idleMs: 30 * 60_000 };

interface Session {
  id: string;
  tokenId: string;
  principal: string;
  transport: StreamableHTTPServerTransport;
  server: McpServer;
  lastSeen: number;
  expiresAt: number;
}

const rpcError = (res: Response, status: number, code: number, message: string, id: unknown = null) =>
  res.status(status).json({ jsonrpc: '2.0', id, error: { code, message } });

/**
 * Streamable HTTP sessions, each bound to the token that opened it: another token presenting the same
 * session id is told the session does not exist. Each session has its own MCP server built for its
 * principal (it lists only what the scopes allow); every request is authenticated again before it gets
 * here, so a revoked or expired token stops at once.
 */
export class SessionPool {
  private sessions = new Map<string, Session>();
  private sweeper: NodeJS.Timeout;

  constructor(
    private readonly rt: Runtime,
    private readonly limits: SessionLimits = DEFAULT_SESSION_LIMITS,
    private readonly onDenied: (caller: RequestCaller, what: { kind: 'tool' | 'resource' | 'prompt'; name: string; scope: Scope; args: unknown }) => void = () => {},
    private readonly onOpened: (caller: RequestCaller, session: string, clientInfo: unknown) => void = () => {},
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(60_000, limits.idleMs)).unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  /** The scope a JSON-RPC message needs before the MCP server sees it, when it needs one the caller lacks. */
  private missingScope(caller: RequestCaller, msg: Record<string, any>): { kind: 'tool' | 'resource' | 'prompt'; name: string; scope: Scope; args: unknown } | null {
    const scopes = caller.principal.scopes;
    if (msg?.method === 'tools/call') {
      const tool = this.rt.tools.find((t) => t.name === msg.params?.name);
      if (tool?.scope && !hasScope(scopes, tool.scope)) return { kind: 'tool', name: tool.name, scope: tool.scope, args: msg.params?.arguments ?? {} };
    } else if (msg?.method === 'resources/read') {
      const scope = resourceScope(String(msg.params?.uri ?? ''));
      if (scope && !hasScope(scopes, scope)) return { kind: 'resource', name: String(msg.params?.uri).split('://')[0] + '://', scope, args: { uri: msg.params?.uri } };
    } else if (msg?.method === 'prompts/get') {
      const p = PROMPTS[String(msg.params?.name)];
      if (p && !hasScope(scopes, p.scope)) return { kind: 'prompt', name: String(msg.params?.name), scope: p.scope, args: msg.params?.arguments ?? {} };
    }
    return null;
  }

  async post(req: Request, res: Response, caller: RequestCaller): Promise<void> {
    const body = req.body;
    const messages: Record<string, any>[] = Array.isArray(body) ? body : [body];
    for (const m of messages) {
      const missing = this.missingScope(caller, m);
      if (missing) {
        this.onDenied(caller, missing);
        return forbidden(res, missing.scope, m?.id);
      }
    }
    const sid = req.headers['mcp-session-id'];
    let session: Session | undefined;
    if (typeof sid === 'string') {
      session = this.sessions.get(sid);
      if (!session || session.tokenId !== caller.principal.tokenId) return void rpcError(res, 404, -32001, 'Session not found');
    } else {
      if (!messages.some((m) => isInitializeRequest(m))) return void rpcError(res, 400, -32000, 'Bad Request: no session id, and not an initialize request');
      session = await this.open(caller, res);
      if (!session) return;
      const init = messages.find((m) => isInitializeRequest(m));
      this.onOpened(caller, session.id, init?.params?.clientInfo ?? null);
    }
    session.lastSeen = Date.now();
    await session.transport.handleRequest(req, res, body);
  }

  async delete(req: Request, res: Response, caller: RequestCaller): Promise<void> {
    const sid = req.headers['mcp-session-id'];
    const session = typeof sid === 'string' ? this.sessions.get(sid) : undefined;
    if (!session || session.tokenId !== caller.principal.tokenId) return void rpcError(res, 404, -32001, 'Session not found');
    await session.transport.handleRequest(req, res);
    await this.close(session.id);
  }

  private async open(caller: RequestCaller, res: Response): Promise<Session | undefined> {
    const mine = [...this.sessions.values()].filter((s) => s.tokenId === caller.principal.tokenId).sort((a, b) => a.lastSeen - b.lastSeen);
    if (mine.length >= this.limits.maxPerToken) await this.close(mine[0].id);
    if (this.sessions.size >= this.limits.maxTotal) {
      rpcError(res, 503, -32000, 'too many sessions: try again later');
      return undefined;
    }
    const id = randomUUID();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => id, enableJsonResponse: true });
    const server = buildMcpServer(this.rt, caller.principal, callerFromExtra(caller.principal));
    const session: Session = { id, tokenId: caller.principal.tokenId, principal: caller.principal.name, transport, server, lastSeen: Date.now(), expiresAt: caller.principal.expiresAt * 1000 };
    this.sessions.set(id, session);
    transport.onclose = () => {
      this.sessions.delete(id);
    };
    await server.connect(transport);
    return session;
  }

  async close(id: string): Promise<void> {
    const s = this.sessions.get(id);
    if (!s) return;
    this.sessions.delete(id);
    await s.server.close().catch(() => undefined);
  }

  private sweep(): void {
    const now = Date.now();
    for (const s of this.sessions.values()) {
      if (now - s.lastSeen > this.limits.idleMs || now >= s.expiresAt) void this.close(s.id);
    }
  }

  async closeAll(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.sessions.keys()].map((id) => this.close(id)));
  }
}
