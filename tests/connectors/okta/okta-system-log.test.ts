import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { connector } from '../../../src/connectors/okta-system-log/index.js';
import { memorySourceFile } from '../../../src/connectors/shared/source-file.js';
import { OKTA_FIXTURES, parseWith } from '../entra/collect.js';

const file = join(OKTA_FIXTURES, 'system-log.ndjson');

describe('okta-system-log', () => {
  it('turns each event into an event with actor, target, chain, source and user agent', async () => {
    const p = await parseWith(connector, file);
    const events = p.of('event');
    expect(events.map((e) => e.id)).toEqual([1, 2, 3, 4, 5, 6].map((n) => `okta:log:11111111-aaaa-11ef-9000-00000000000${n}`));
    expect(events[0]).toMatchObject({
      time: '2025-06-02T08:00:00.000Z', provider: 'okta', action: 'user.session.start', outcome: 'success', actorId: 'okta:user:00u1alice0000000001',
      target: 'okta:app:0oa1dashboard000009', sourceIp: '203.0.113.10', sourceKind: 'ipv4',
      userAgent: expect.stringMatching(/^Mozilla\/5\.0 \(Macintosh/), chain: { session: '102aliceSession01' },
    });
    expect(events[0].rawRef).toBe(`${file}#0`);
    // A service app with client credentials acts for nobody; the token call names the app as actor.
    expect(events[2]).toMatchObject({ actorId: 'okta:app:0oa1ciservice00001', chain: { session: null, onBehalfOf: null }, userAgent: 'okta-sdk-golang/2.20.0 golang/go1.22' });
    // An API token call: the actor is the token's user, the chain names the token.
    expect(events[3]).toMatchObject({ actorId: 'okta:user:00u1svcdeploy00003', target: 'okta:user:00u1alice0000000001', chain: { credentialId: 'okta:api-token:00T1terraform00001' } });
    expect(events[3].resources).toEqual(['okta:user:00u1alice0000000001', 'okta:group:00g1admins00000001']);
  });

  it('emits observed hops: SSO into an app, a created token owned by its creator', async () => {
    const p = await parseWith(connector, file);
    expect(p.of('observation').map((o) => [o.from, o.kind, o.to])).toEqual([
      ['okta:user:00u1alice0000000001', 'can_access', 'okta:app:0oa1awssso00000002'],
      ['okta:user:00u1alice0000000001', 'created', 'okta:api-token:00T1newtoken000004'],
      ['okta:user:00u1alice0000000001', 'owns_credential', 'okta:api-token:00T1newtoken000004'],
    ]);
    expect(p.of('identity').find((i) => i.id === 'okta:api-token:00T1newtoken000004')).toMatchObject({ kind: 'api_key', name: 'alice-laptop', origin: 'log' });
  });

  it('makes a ThreatInsight detection an alert as well as an event, with the IP as actor', async () => {
    const p = await parseWith(connector, file);
    const ev = p.of('event').find((e) => e.action === 'security.threat.detected')!;
    expect(ev).toMatchObject({ actorId: 'okta:ip:198.51.100.66', outcome: 'failure', errorCode: 'Password Spray' });
    expect(p.of('alert')).toEqual([expect.objectContaining({
      id: 'okta:11111111-aaaa-11ef-9000-000000000006', source: 'okta', severity: 'medium', rule: 'security.threat.detected',
      title: 'Okta ThreatInsight: request from a suspicious actor: Password Spray', events: [ev.id], entities: { ip: ['198.51.100.66'] }, identities: [],
    })]);
    // An IP is not an identity record.
    expect(p.of('identity').some((i) => i.id.startsWith('okta:ip:'))).toBe(false);
  });

  it('redacts secrets kept in debugData', async () => {
    const p = await parseWith(connector, file);
    const ev = p.of('event')[2];
    expect(JSON.stringify(p.all)).not.toContain('should-never-be-kept');
    expect((ev.detail as { debugData: Record<string, string> }).debugData.client_secret).toMatch(/^sha256:/);
  });

  it('rejects bad records with the field they lack, at the right index, and keeps the rest', async () => {
    const p = await parseWith(connector, file);
    expect(p.items).toHaveLength(9);
    expect(p.rejects).toEqual([
      { index: 6, line: 7, reason: 'missing published' },
      { index: 7, line: 8, reason: expect.stringMatching(/^not valid JSON/) },
      { index: 8, line: 9, reason: 'missing actor.id (it is "unknown")' },
    ]);
  });

  it('reads a JSON array (the /api/v1/logs response) as well as NDJSON, and ids events without a uuid by content', async () => {
    const ev = { published: '2025-01-01T00:00:00.000Z', eventType: 'user.session.end', actor: { id: '00u9', type: 'User', alternateId: 'x@y.example' }, outcome: { result: 'SUCCESS' } };
    const p = await parseWith(connector, memorySourceFile('logs.json', JSON.stringify([ev, { ...ev, actor: { ...ev.actor, id: '00u8' } }])));
    const ids = p.of('event').map((e) => e.id);
    expect(ids).toHaveLength(2);
    for (const id of ids) expect(id).toMatch(/^okta:log:h:[0-9a-f]{24}$/);
    expect(ids[0]).not.toBe(ids[1]);
  });
});
