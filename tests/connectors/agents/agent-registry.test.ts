import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { connector as registry } from '../../../src/connectors/agent-registry/index.js';
import { FormatError } from '../../../src/lib/errors.js';
import { expectValid, fixture, fuzzParser, parseFile, parseText } from './helpers.js';

const FILE = fixture('agents', 'agents.yaml');

describe('agent-registry', () => {
  it('recognises a registry by its agents list and agent keys, and nothing else', () => {
    const head = readFileSync(FILE, 'utf8');
    expect(registry.detect({ path: FILE, name: 'agents.yaml', head })).toBe(0.95);
    expect(registry.detect({ path: 'x.yaml', name: 'x.yaml', head: 'apiVersion: v1\nkind: ServiceAccount\n' })).toBe(0);
    expect(registry.detect({ path: 'x.json', name: 'x.json', head: '{"mcpServers": {}}' })).toBe(0);
  });

  it('describes each agent: id, autonomy, whom it acts for, its owner and team', async () => {
    const p = await parseFile(registry, FILE);
    expectValid(p);
    const agents = p.of('identity').filter((i) => i.kind === 'ai_agent');
    expect(agents.map((a) => [a.id, a.autonomy, a.environment])).toEqual([
      // client + person gives the same id an MCP client configuration of that person gets.
      ['agent:claude-desktop:alice.martin', 'partial', 'prod'],
      ['agent:release-copilot', 'full', 'prod'],
    ]);
    expect(agents[0].attributes).toMatchObject({ actsFor: 'alice.martin@example.com', client: 'claude-desktop', mcpConfigs: ['alice/claude_desktop_config.json'] });
    // An email cannot be resolved here: an owner claim and attributes.actsFor; identity resolution makes the edge.
    expect(p.of('ownerClaim')).toEqual(expect.arrayContaining([
      expect.objectContaining({ target: 'agent:claude-desktop:alice.martin', ref: 'alice.martin@example.com', refType: 'email', source: 'registry', confidence: 0.9 }),
      expect.objectContaining({ target: 'agent:claude-desktop:alice.martin', ref: 'Platform', refType: 'team', role: 'team' }),
      expect.objectContaining({ target: 'agent:release-copilot', ref: 'hr:employee:E100', refType: 'identity' }),
    ]));
    expect(p.of('edge').filter((e) => e.kind === 'acts_for')).toEqual([]);
  });

  it('links the credentials, roles and MCP servers an agent uses', async () => {
    const p = await parseFile(registry, FILE);
    const edges = p.of('edge').filter((e) => e.from === 'agent:release-copilot' || e.from.startsWith('mcp:server:release-copilot'));
    expect(edges.map((e) => `${e.from} ${e.kind} ${e.to}`).sort()).toEqual([
      'agent:release-copilot can_access mcp:server:release-copilot/jira',
      'agent:release-copilot owns_credential aws:access-key:AKIAIOSFODNN7EXAMPLE',
      'agent:release-copilot owns_credential generic:token:jira-release-bot',
      'agent:release-copilot owns_credential github:pat:4242',
      'agent:release-copilot runs_as arn:aws:iam::111122223333:role/release-copilot',
      'mcp:server:release-copilot/jira owns_credential generic:token:jira-release-bot',
    ]);
    expect(p.of('identity').find((i) => i.id === 'mcp:server:release-copilot/jira')).toMatchObject({ kind: 'workload', provider: 'mcp', attributes: { transport: 'sse', host: 'mcp.atlassian.example.com' } });
  });

  it('rejects a bad entry with its line and the field at fault, and loads the rest', async () => {
    const p = await parseFile(registry, FILE);
    expect(p.rejects.map((r) => [r.index, r.line, r.reject])).toEqual([
      [2, 31, 'bad autonomy "sometimes" (expected assisted | partial | full)'],
      [3, 35, 'missing name'],
    ]);
  });

  it('an acts-for person given by id gets the edge now; a token value is fingerprinted, never kept', async () => {
    const token = 'ghp_FAKE0registry0token00000000000000000';
    const p = await parseText(registry, 'agents.yaml', `agents:\n  - name: Bot\n    actsFor: okta:user:00u1alice\n    autonomy: assisted\n    credentials: ["${token}"]\n`);
    expect(p.of('edge').find((e) => e.kind === 'acts_for')).toMatchObject({ from: 'agent:bot', to: 'okta:user:00u1alice' });
    const cred = p.of('credential')[0];
    expect(cred.id).toMatch(/^github:secret:[0-9a-f]{24}$/);
    expect(p.text).not.toContain(token);
  });

  it('a file that is not a registry is a FormatError with its position', async () => {
    await expect(parseText(registry, 'a.yaml', 'agents:\n  - name: [unclosed\n')).rejects.toThrow(FormatError);
    await expect(parseText(registry, 'a.yaml', 'agents:\n  - name: x\n bad: indent\n')).rejects.toThrow(/a\.yaml:\d+/);
    await expect(parseText(registry, 'a.yaml', 'version: 1\n')).rejects.toThrow(/expected an "agents:" list/);
    await expect(parseText(registry, 'a.yaml', '')).rejects.toThrow(/empty/);
  });

  it('fuzz: damaged registries give FormatError or rejects, never another exception', async () => {
    await fuzzParser(registry, 'agents.yaml', readFileSync(FILE, 'utf8'), 200);
  });
});
