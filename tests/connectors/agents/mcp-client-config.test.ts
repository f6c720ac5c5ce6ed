import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientOf, connector as mcp, ownerFromPath } from '../../../src/connectors/mcp-client-config/index.js';
import { recogniseSecret } from '../../../src/connectors/mcp-client-config/tokens.js';
import { FormatError } from '../../../src/lib/errors.js';
import { fingerprint, shortHash } from '../../../src/lib/secrets.js';
import { FIXTURE_TOKENS, expectValid, fixture, fuzzParser, parseFile, parseText } from './helpers.js';

const CLAUDE = fixture('agents', 'alice', 'claude_desktop_config.json');
const VSCODE = fixture('agents', 'bob', '.vscode', 'mcp.json');
const CURSOR = fixture('agents', 'carol', '.cursor', 'mcp.json');


describe('mcp-client-config', () => {
  it('detects the three client shapes by name and by content', () => {
    for (const path of [CLAUDE, VSCODE, CURSOR]) {
      const head = readFileSync(path, 'utf8');
      expect(mcp.detect({ path, name: path.split('/').pop()!, head }), path).toBeGreaterThanOrEqual(0.9);
    }
    expect(mcp.detect({ path: 'x.json', name: 'x.json', head: '{"servers": [1, 2]}' })).toBe(0);
  });

  it('knows the client from where the file lives, and the owner from a home folder', () => {
    expect(clientOf('/Users/alice/Library/Application Support/Claude/claude_desktop_config.json', {})).toBe('claude-desktop');
    expect(clientOf('/home/bob/src/app/.vscode/mcp.json', { servers: {} })).toBe('vscode');
    expect(clientOf('/home/carol/.cursor/mcp.json', { mcpServers: {} })).toBe('cursor');
    expect(clientOf('/home/dan/project/.mcp.json', { mcpServers: {} })).toBe('claude-code');
    expect(ownerFromPath('/Users/alice/Library/Application Support/Claude/claude_desktop_config.json')).toBe('alice');
    expect(ownerFromPath('C:\\Users\\Bob\\AppData\\Roaming\\Claude\\claude_desktop_config.json')).toBe('Bob');
    expect(ownerFromPath('/root/.cursor/mcp.json')).toBeNull();
    expect(ownerFromPath('/home/runner/work/mcp.json')).toBeNull();
  });

  it('Claude Desktop: the app is an agent acting for --owner; each server a workload; each token a fingerprinted credential', async () => {
    const p = await parseFile(mcp, CLAUDE, { owner: 'alice.martin@example.com' });
    expectValid(p);
    const agent = p.of('identity').find((i) => i.kind === 'ai_agent')!;
    expect(agent).toMatchObject({ id: 'agent:claude-desktop:alice.martin', autonomy: 'assisted', origin: 'derived', attributes: { client: 'claude-desktop', actsFor: 'alice.martin@example.com' } });
    expect(p.of('ownerClaim')).toEqual([expect.objectContaining({ target: agent.id, ref: 'alice.martin@example.com', refType: 'email', source: 'registry', confidence: 0.9 })]);

    const servers = p.of('identity').filter((i) => i.provider === 'mcp');
    expect(servers.map((s) => s.id)).toEqual(['github', 'aws', 'slack', 'filesystem', 'search'].map((n) => `mcp:server:claude-desktop:alice.martin/${n}`));
    expect(servers[0]).toMatchObject({ kind: 'workload', attributes: { transport: 'stdio', package: '@modelcontextprotocol/server-github', envVars: ['GITHUB_PERSONAL_ACCESS_TOKEN'] } });

    const held = p.of('edge').filter((e) => e.kind === 'owns_credential' && e.from === agent.id).map((e) => e.to);
    const github = `github:secret:${shortHash('ghp_FAKE0alice0token0000000000000000000a', 24)}`;
    expect(held).toEqual([github, 'aws:access-key:AKIAIOSFODNN7EXAMPLE', expect.stringMatching(/^slack:secret:/), expect.stringMatching(/^openai:secret:/)]);
    expect(p.of('credential').find((c) => c.id === github)).toMatchObject({ identityId: github, type: 'personal_access_token', fingerprint: fingerprint('ghp_FAKE0alice0token0000000000000000000a') });
    // The AWS key id names the key: linked as is; its secret half is not a second credential.
    expect(p.of('credential').some((c) => c.id.startsWith('aws:'))).toBe(false);
    // The server holds the tokens it is started with, too.
    expect(p.of('edge')).toContainEqual(expect.objectContaining({ from: 'mcp:server:claude-desktop:alice.martin/slack', kind: 'owns_credential', to: held[2] }));
    expect(p.rejects.map((r) => [r.line, r.reject])).toEqual([[35, 'server "broken": missing command or url']]);
  });

  it('VS Code: JSONC, ${input:...} secrets asked at start-up, headers and URL query tokens', async () => {
    const p = await parseFile(mcp, VSCODE, { owner: 'hr:employee:E200' });
    expectValid(p);
    expect(p.rejects).toEqual([]);
    // An owner given as an identity id gets the acts_for edge directly.
    expect(p.of('edge').find((e) => e.kind === 'acts_for')).toMatchObject({ from: 'agent:vscode:e200', to: 'hr:employee:E200' });
    const prompted = p.of('credential').find((c) => c.id.startsWith('mcp:input:'))!;
    expect(prompted).toMatchObject({ id: 'mcp:input:vscode:e200/github#github_token', attributes: { knownBy: 'prompt', description: 'GitHub Personal Access Token' } });
    // `project` is a plain prompt (no password): not a credential.
    expect(p.of('credential').some((c) => c.id.endsWith('#project'))).toBe(false);
    const remote = p.of('identity').find((i) => i.id === 'mcp:server:vscode:e200/openai-tools')!;
    expect(remote.attributes).toMatchObject({ transport: 'http', host: 'mcp.example.com', url: 'https://mcp.example.com/openai?…', headerNames: ['Authorization'] });
    expect(p.of('credential').map((c) => c.id.split(':')[0]).sort()).toEqual(['anthropic', 'mcp', 'openai']);
    expect(p.of('identity').find((i) => i.id === 'mcp:server:vscode:e200/github')!.attributes).toMatchObject({ package: 'ghcr.io/github/github-mcp-server' });
  });

  it('Cursor without an owner: a config-scoped agent a registry entry can claim; unknown-shaped tokens by their variable name', async () => {
    const p = await parseFile(mcp, CURSOR);
    const agent = p.of('identity').find((i) => i.kind === 'ai_agent')!;
    expect(agent.id).toMatch(/^agent:cursor:config-[0-9a-f]{8}$/);
    expect(agent.attributes).toMatchObject({ configPaths: [CURSOR] });
    expect(p.of('ownerClaim')).toEqual([]);
    expect(p.of('credential').map((c) => c.attributes?.label)).toEqual(['GitHub fine-grained PAT', 'LINEAR_API_KEY secret']);
  });

  it('no token from any fixture survives in any record', async () => {
    const all = [await parseFile(mcp, CLAUDE, { owner: 'alice' }), await parseFile(mcp, VSCODE, { owner: 'bob' }), await parseFile(mcp, CURSOR)];
    for (const p of all) for (const t of FIXTURE_TOKENS) expect(p.text).not.toContain(t);
    const search = all[0].of('identity').find((i) => i.id.endsWith('/search'))!;
    expect((search.attributes as { args: string[] }).args[2]).toMatch(/^\[redacted sha256:[0-9a-f]{12}\]$/);
  });

  it('property: a token of any known shape, wherever it is put, never reaches a record', async () => {
    const body = fc.stringMatching(/^[A-Za-z0-9]{24,48}$/);
    const token = fc.tuple(fc.constantFrom('ghp_', 'github_pat_', 'xoxb-1-', 'sk-proj-', 'sk-ant-api03-', 'glpat-'), body).map(([p, b]) => p + b);
    const place = fc.constantFrom('env', 'header', 'arg', 'flag', 'url');
    await fc.assert(fc.asyncProperty(token, place, async (t, where) => {
      const server: Record<string, unknown> = { command: 'npx', args: ['-y', 'some-server'] };
      if (where === 'env') server.env = { SOME_TOKEN: t };
      if (where === 'header') Object.assign(server, { url: 'https://mcp.example.com/mcp', headers: { Authorization: `Bearer ${t}` } });
      if (where === 'arg') server.args = ['-y', 'some-server', t];
      if (where === 'flag') server.args = ['-y', 'some-server', `--token=${t}`];
      if (where === 'url') Object.assign(server, { url: `https://mcp.example.com/mcp?key=${t}` });
      const p = await parseText(mcp, 'claude_desktop_config.json', JSON.stringify({ mcpServers: { s: server } }), { owner: 'alice' });
      expect(p.rejects).toEqual([]);
      expect(p.text).not.toContain(t);
      expect(p.of('credential').map((c) => c.fingerprint)).toEqual([fingerprint(t)]);
    }), { numRuns: 200 });
  });

  it('recognises token shapes and leaves references and plain values alone', () => {
    expect(recogniseSecret('X', 'Bearer xoxp-1234567890-abcdefghij', 'h')).toMatchObject({ provider: 'slack', type: 'api_token' });
    expect(recogniseSecret('AWS_ACCESS_KEY_ID', 'AKIAIOSFODNN7EXAMPLE', 'e')).toMatchObject({ provider: 'aws', awsAccessKeyId: 'AKIAIOSFODNN7EXAMPLE' });
    expect(recogniseSecret('GITHUB_TOKEN', '${input:token}', 'e')).toBeNull();
    expect(recogniseSecret('GITHUB_TOKEN', '$GITHUB_TOKEN', 'e')).toBeNull();
    expect(recogniseSecret('AWS_REGION', 'eu-west-1-something-long', 'e')).toBeNull();
    expect(recogniseSecret('SLACK_TEAM_ID', 'T00000000', 'e')).toBeNull();
    expect(recogniseSecret('DB_PASSWORD', 'hunter2hunter2', 'e')).toMatchObject({ provider: 'generic' });
  });

  it('a file that is not a client configuration is a FormatError naming the position', async () => {
    await expect(parseText(mcp, 'claude_desktop_config.json', '{"mcpServers": {"a": {"command": "x"}')).rejects.toThrow(/claude_desktop_config\.json:1:\d+: not valid JSON: the JSON is truncated/);
    await expect(parseText(mcp, 'mcp.json', '{"mcpServers": ["a"]}')).rejects.toThrow(/"mcpServers" must be an object/);
    await expect(parseText(mcp, 'mcp.json', '{"other": 1}')).rejects.toThrow(FormatError);
    await expect(parseText(mcp, 'mcp.json', '')).rejects.toThrow(/empty/);
  });

  it('fuzz: damaged configurations give FormatError or rejects, never another exception', async () => {
    await fuzzParser(mcp, 'claude_desktop_config.json', readFileSync(CLAUDE, 'utf8'), 150);
    await fuzzParser(mcp, '.vscode/mcp.json', readFileSync(VSCODE, 'utf8'), 150);
  });
});
