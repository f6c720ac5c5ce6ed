import { RecordError } from '../../lib/errors.js';
import { fingerprint, redactText } from '../../lib/secrets.js';
import type { CanonicalRecord } from '../../model/index.js';
import { rec } from '../contract.js';
import { mcpServerId } from '../agent-registry/agents.js';
import { inputRefs, recogniseSecret, scrub, secretFingerprint, secretId, secretsInText, type FoundSecret } from './tokens.js';

type Obj = Record<string, unknown>;

/** One configured MCP server as the client files write it (Claude Desktop, Cursor, VS Code, the registry). */
export interface ServerSpec {
  type?: unknown;
  command?: unknown;
  args?: unknown;
  env?: unknown;
  url?: unknown;
  serverUrl?: unknown;
  headers?: unknown;
  envFile?: unknown;
  disabled?: unknown;
}

export interface ServerContext {
  agent: string;
  client: string;
  evidence: string;
  /** VS Code `inputs` declared in the file: id -> whether it is a password prompt. */
  inputs?: Map<string, { password: boolean; description: string | null }>;
}

/**
 * A configured MCP server -> a workload identity the agent can use (`can_access`), and every
 * credential found in its env, headers, arguments or URL -> an identity + credential known by its
 * fingerprint, held by both the agent and the server (`owns_credential`). AWS access key ids link to
 * `aws:access-key:<id>` itself. No secret value survives: names of env vars and headers are kept,
 * arguments and URLs are scrubbed of every secret found.
 */
export function serverRecords(name: string, raw: unknown, ctx: ServerContext): CanonicalRecord[] {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new RecordError(`server "${name}": expected an object with command or url`);
  const spec = raw as ServerSpec;
  const command = typeof spec.command === 'string' && spec.command.trim() ? spec.command.trim() : null;
  const urlRaw = typeof spec.url === 'string' && spec.url.trim() ? spec.url.trim() : typeof spec.serverUrl === 'string' && spec.serverUrl.trim() ? spec.serverUrl.trim() : null;
  if (!command && !urlRaw) throw new RecordError(`server "${name}": missing command or url`);
  if (spec.args !== undefined && !Array.isArray(spec.args)) throw new RecordError(`server "${name}": args must be a list`);
  const env = objOrNull(spec.env, `server "${name}": env`);
  const headers = objOrNull(spec.headers, `server "${name}": headers`);
  const args = ((spec.args as unknown[] | undefined) ?? []).map((a) => (typeof a === 'string' ? a : JSON.stringify(a)));

  const found: FoundSecret[] = [];
  const prompted = new Set<string>();
  const add = (f: FoundSecret | null) => {
    if (f && !found.some((x) => x.secret === f.secret)) found.push(f);
  };
  for (const [k, v] of Object.entries(env ?? {})) {
    add(recogniseSecret(k, v, `env ${k}`));
    for (const ref of inputRefs(v)) prompted.add(ref);
  }
  for (const [k, v] of Object.entries(headers ?? {})) {
    add(recogniseSecret(k, v, `header ${k}`));
    for (const ref of inputRefs(v)) prompted.add(ref);
  }
  args.forEach((a, i) => {
    for (const f of secretsInText(a, `arg ${i}`)) add(f);
    for (const ref of inputRefs(a)) prompted.add(ref);
  });
  if (urlRaw) for (const f of secretsInText(urlRaw, 'url')) add(f);

  // The secret half of an AWS key pair is the same credential as the key id beside it.
  const awsKey = found.find((f) => f.awsAccessKeyId);
  const credentials = found.filter((f) => !(awsKey && f !== awsKey && f.provider === 'aws'));

  const server = mcpServerId(ctx.agent, name);
  const transport = typeof spec.type === 'string' ? spec.type : urlRaw ? (/\/sse\/?$/.test(urlRaw) ? 'sse' : 'http') : 'stdio';
  const clean = (s: string) => redactText(scrub(s, found));
  const out: CanonicalRecord[] = [
    rec.identity({
      id: server,
      kind: 'workload',
      provider: 'mcp',
      name,
      status: spec.disabled === true ? 'disabled' : 'active',
      attributes: compactObj({
        mcpServer: true,
        client: ctx.client,
        agent: ctx.agent,
        transport,
        command: command ? clean(command) : null,
        package: command ? packageOf(command, args) : null,
        args: args.length ? args.map(clean) : null,
        url: urlRaw ? clean(stripQuery(urlRaw)) : null,
        host: urlRaw ? hostOf(urlRaw) : null,
        envVars: env ? Object.keys(env) : null,
        headerNames: headers ? Object.keys(headers) : null,
        envFile: typeof spec.envFile === 'string' ? spec.envFile : null,
        inputs: prompted.size ? [...prompted] : null,
      }),
    }),
    rec.edge({ from: ctx.agent, kind: 'can_access', to: server, evidence: [ctx.evidence], attributes: { via: 'mcp', server: name } }),
  ];
  for (const f of credentials) out.push(...heldCredential(f, ctx, server, name));
  for (const input of prompted) {
    const decl = ctx.inputs?.get(input);
    if (decl && !decl.password) continue;
    out.push(...promptedCredential(input, decl?.description ?? null, ctx, server, name));
  }
  return out;
}

/** A credential found by value: the token identity and credential (unless it is an AWS key id), held by agent and server. */
export function heldCredential(f: FoundSecret, ctx: { agent: string; evidence: string }, holder: string | null, serverName: string | null): CanonicalRecord[] {
  const id = secretId(f);
  const out: CanonicalRecord[] = [];
  const via = compactObj({ via: serverName ? 'mcp' : 'registry', server: serverName, where: f.where });
  if (f.awsAccessKeyId) {
    // The IAM inventory or CloudTrail states whose key it is; this file only proves someone holds it.
    out.push(rec.identity({ id, kind: 'api_key', provider: 'aws', name: f.awsAccessKeyId, origin: 'log' }));
  } else {
    out.push(
      rec.identity({ id, kind: 'api_key', provider: f.provider, name: `${f.label} ${id.slice(-8)}`, status: 'active', attributes: { knownBy: 'fingerprint', label: f.label } }),
      rec.credential({ id, identityId: id, type: f.type, fingerprint: secretFingerprint(f), status: 'active', attributes: { knownBy: 'fingerprint', label: f.label } }),
    );
  }
  out.push(rec.edge({ from: ctx.agent, kind: 'owns_credential', to: id, evidence: [ctx.evidence], attributes: via }));
  if (holder) out.push(rec.edge({ from: holder, kind: 'owns_credential', to: id, evidence: [ctx.evidence], attributes: via }));
  return out;
}

/** A secret VS Code asks for at start-up (`${input:id}` with `password: true`): known to exist, value never seen. */
function promptedCredential(input: string, description: string | null, ctx: ServerContext, server: string, serverName: string): CanonicalRecord[] {
  const id = `${server.replace(/^mcp:server:/, 'mcp:input:')}#${input}`;
  const attributes = compactObj({ knownBy: 'prompt', input, description });
  return [
    rec.identity({ id, kind: 'api_key', provider: 'mcp', name: `${input} (prompted by ${ctx.client})`, status: 'active', attributes }),
    rec.credential({ id, identityId: id, type: 'api_token', fingerprint: fingerprint(id), status: 'unknown', attributes }),
    rec.edge({ from: ctx.agent, kind: 'owns_credential', to: id, evidence: [ctx.evidence], attributes: { via: 'mcp', server: serverName, where: `input ${input}` } }),
    rec.edge({ from: server, kind: 'owns_credential', to: id, evidence: [ctx.evidence], attributes: { via: 'mcp', server: serverName, where: `input ${input}` } }),
  ];
}

/** The npm / PyPI package a stdio server runs (`npx -y @modelcontextprotocol/server-github`, `uvx mcp-server-git`). */
function packageOf(command: string, args: string[]): string | null {
  const base = command.split(/[\\/]/).pop() ?? command;
  if (!/^(npx|pnpm|bunx|uvx|pipx|yarn|docker)$/.test(base)) return null;
  if (base === 'docker') {
    // `docker run [flags] IMAGE [cmd]`: the image is the first word that is neither a flag nor a flag's value.
    for (let i = args.indexOf('run') + 1; i > 0 && i < args.length; i++) {
      const a = args[i];
      if (a.startsWith('-')) {
        if (!a.includes('=') && DOCKER_VALUE_FLAGS.has(a)) i++;
        continue;
      }
      return a;
    }
    return null;
  }
  return args.find((a) => !a.startsWith('-') && a !== 'dlx' && a !== 'run' && a !== 'exec') ?? null;
}

const DOCKER_VALUE_FLAGS = new Set(['-e', '--env', '--env-file', '-v', '--volume', '--name', '--network', '-p', '--publish', '-w', '--workdir', '-u', '--user', '--mount', '--entrypoint', '-l', '--label', '--platform']);

function stripQuery(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : `${url.slice(0, q)}?…`;
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).host || null;
  } catch {
    return null;
  }
}

function objOrNull(v: unknown, what: string): Obj | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw new RecordError(`${what} must be an object`);
  return v as Obj;
}

function compactObj(o: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null) out[k] = v;
  return out;
}
