import { afterAll, beforeAll, expect, it } from 'vitest';
import { deriveAfterIngest } from '../../../src/engines/derive.js';
import { trace } from '../../../src/engines/delegation/index.js';
import { ingestPaths } from '../../../src/ingest/pipeline.js';
import { fingerprint, shortHash } from '../../../src/lib/secrets.js';
import type { Db } from '../../../src/store/index.js';
import { describeStores } from '../../helpers/stores.js';
import { FIXTURE_TOKENS, fixture } from './helpers.js';

const ALICE = 'hr:employee:E100';
const BOB = 'hr:employee:E200';
const AGENT = 'agent:claude-desktop:alice.martin';
const KEY = 'aws:access-key:AKIAIOSFODNN7EXAMPLE';
const AI_BOT = 'arn:aws:iam::111122223333:user/ai-bot';
const OPENAI_TOKEN = `openai:secret:${shortHash('sk-proj-FAKE0openai0key0for0tests0000000000', 24)}`;

/** Secrets written in the fixtures ingested here, beyond the MCP configurations' own. */
const OTHER_SECRETS = ['xoxb-0000000000-FAKE0slack0ticket0token', 'FwoGZXIvYXdzEFAKEsessiontoken0000000000'];

describeStores('AI agents end to end: registry, MCP configs, alerts, OpenAI keys -> identity resolution -> delegation', (open) => {
  let db: Db;
  beforeAll(async () => {
    db = await open();
    const base = await ingestPaths(db, [
      fixture('agents', 'hr-roster.csv'), fixture('agents', 'agents.yaml'), fixture('agents', 'openai-users-page.json'), fixture('agents', 'openai-admin-keys.json'),
      fixture('alerts', 'guardduty-eventbridge.json'), fixture('alerts', 'securityhub-eventbridge.json'), fixture('alerts', 'siem-alerts.csv'),
      fixture('agents', 'carol', '.cursor', 'mcp.json'),
    ]);
    expect(base.totals).toMatchObject({ files: 8, failed: 0 });
    expect(base.files.map((f) => f.format)).toEqual(['hr-roster', 'agent-registry', 'openai-admin', 'openai-admin', 'aws-guardduty', 'aws-securityhub', 'generic-alerts', 'mcp-client-config']);
    const alice = await ingestPaths(db, [fixture('agents', 'alice', 'claude_desktop_config.json')], { owner: 'alice.martin@example.com' });
    expect(alice.files[0]).toMatchObject({ format: 'mcp-client-config', records: 7, loaded: 6, rejected: 1, error: null });
    const bob = await ingestPaths(db, [fixture('agents', 'bob', '.vscode', 'mcp.json')], { owner: 'bob.nguyen@example.com' });
    expect(bob.files[0]).toMatchObject({ loaded: 3, rejected: 0 });
    await deriveAfterIngest(db);
  });
  afterAll(async () => db?.close());

  it('one agent from registry and configuration: the registry\'s autonomy wins, it acts for and is owned by the HR person', async () => {
    const [agent] = await db.query('SELECT * FROM identities WHERE id = $1', [AGENT]);
    expect(agent).toMatchObject({ kind: 'ai_agent', autonomy: 'partial', environment: 'prod', origin: 'inventory' });
    expect(agent.attributes).toMatchObject({ client: 'claude-desktop', registry: true, configPaths: [fixture('agents', 'alice', 'claude_desktop_config.json')] });
    const edges = await db.query(`SELECT from_id, kind, to_id, attributes FROM edges WHERE (from_id = $1 OR to_id = $1) AND kind IN ('acts_for', 'owns') ORDER BY kind`, [AGENT]);
    expect(edges.map((e) => [e.from_id, e.kind, e.to_id, e.attributes.rule ?? e.attributes.source])).toEqual([
      [AGENT, 'acts_for', ALICE, 'acts-for-email'],
      [ALICE, 'owns', AGENT, 'registry'],
      ['hr:team:platform', 'owns', AGENT, 'registry'],
    ]);
    // The release copilot acts for Bob (by email) and is owned by the person its registry entry names by id.
    expect(await db.query(`SELECT to_id FROM edges WHERE from_id = 'agent:release-copilot' AND kind = 'acts_for'`)).toEqual([{ to_id: BOB }]);
  });

  it('delegation: person -> agent -> access key -> IAM user, the chain the GuardDuty alert is about', async () => {
    const t = await trace(db, AI_BOT, { direction: 'up' });
    const chains = t.upstream.map((p) => p.hops.map((h) => `${h.from} -${h.edge}-> ${h.to}`));
    // Paths run from the furthest account reached (Alice's accounts elsewhere are same_as her) to the IAM user.
    expect(chains.find((c) => c.includes(`${ALICE} -acts_for-> ${AGENT}`))?.slice(-3)).toEqual([
      `${ALICE} -acts_for-> ${AGENT}`,
      `${AGENT} -owns_credential-> ${KEY}`,
      `${KEY} -authenticates_as-> ${AI_BOT}`,
    ]);
    // Bob's release copilot holds the same key (the registry says so): a second way in.
    expect(chains.some((c) => c.includes(`${BOB} -acts_for-> agent:release-copilot`) && c.at(-2) === `agent:release-copilot -owns_credential-> ${KEY}`)).toBe(true);
    const [alert] = await db.query(`SELECT identities, credentials FROM alerts WHERE id = 'guardduty:d4c7a1b2e3f40011aa22bb33cc44dd55'`);
    expect(alert).toEqual({ identities: [AI_BOT, KEY], credentials: [KEY] });
  });

  it('delegation: a token pasted in a config is the OpenAI admin key with the same fingerprint, which acts as its owner', async () => {
    const t = await trace(db, AGENT, { direction: 'down' });
    const toKey = t.downstream.find((p) => p.hops.some((h) => h.to === 'openai:admin-key:key_alice_search'))!;
    expect(toKey.hops.slice(0, 2).map((h) => [h.from, h.edge, h.to])).toEqual([
      [AGENT, 'owns_credential', OPENAI_TOKEN],
      [OPENAI_TOKEN, 'same_as', 'openai:admin-key:key_alice_search'],
    ]);
    expect(await db.query(`SELECT to_id FROM edges WHERE from_id = 'openai:admin-key:key_alice_search' AND kind = 'authenticates_as'`)).toEqual([{ to_id: 'openai:user:user-alice01' }]);
    const [sameAs] = await db.query(`SELECT attributes FROM edges WHERE kind = 'same_as' AND $1 IN (from_id, to_id)`, [OPENAI_TOKEN]);
    expect(sameAs.attributes).toMatchObject({ rule: 'credential-fingerprint', confidence: 1 });
    // And the OpenAI account is Alice's, by email.
    expect(await db.query(`SELECT attributes->>'rule' AS rule FROM edges WHERE kind = 'same_as' AND from_id = 'openai:user:user-alice01' AND to_id = $1`, [ALICE])).toEqual([{ rule: 'email' }]);
  });

  it('no token from any fixture is stored, in any table', async () => {
    const tables = await db.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`);
    expect(tables.length).toBeGreaterThanOrEqual(9);
    let rows = 0;
    let all = '';
    for (const { table_name } of tables) {
      const texts = await db.query(`SELECT t::text AS row FROM "${table_name}" t`);
      rows += texts.length;
      for (const { row } of texts) {
        all += row;
        for (const secret of [...FIXTURE_TOKENS, ...OTHER_SECRETS]) expect(row, `${table_name}`).not.toContain(secret);
      }
    }
    expect(rows).toBeGreaterThan(100);
    // The scan sees what is stored: the tokens' fingerprints are there.
    expect(all).toContain(fingerprint(FIXTURE_TOKENS[0]));
  });

  it('is idempotent: ingesting and deriving again changes nothing', async () => {
    const snapshot = async () => ({
      identities: await db.query('SELECT id, kind, autonomy, attributes FROM identities ORDER BY id'),
      edges: await db.query('SELECT from_id, kind, to_id, potential, observed, count, attributes FROM edges ORDER BY from_id, kind, to_id'),
      alerts: await db.query('SELECT id, identities, credentials FROM alerts ORDER BY id'),
    });
    const before = await snapshot();
    await ingestPaths(db, [fixture('agents', 'agents.yaml'), fixture('alerts', 'guardduty-eventbridge.json')]);
    await ingestPaths(db, [fixture('agents', 'alice', 'claude_desktop_config.json')], { owner: 'alice.martin@example.com' });
    await deriveAfterIngest(db);
    expect(await snapshot()).toEqual(before);
  });
});
