import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connector as hrRoster, detect as detectRoster, teamSlug } from '../../../src/connectors/hr-roster/index.js';
import { connector as ownershipMap, detect as detectMap } from '../../../src/connectors/ownership-map/index.js';
import { ownerRef } from '../../../src/connectors/ownership-map/refs.js';
import { slug as engineSlug } from '../../../src/engines/ownership.js';
import { FormatError } from '../../../src/lib/errors.js';
import { RECORD_SCHEMAS } from '../../../src/model/index.js';
import { OWNERSHIP_FIXTURES, parseFile, parseText, recordsOf } from '../cloudtrail/helpers.js';

const ROSTER = join(OWNERSHIP_FIXTURES, 'hr-roster.csv');
const MAP_CSV = join(OWNERSHIP_FIXTURES, 'ownership-map.csv');
const MAP_YAML = join(OWNERSHIP_FIXTURES, 'ownership-map.yaml');
const NOW = new Date('2024-05-10T00:00:00Z');
const sample = (path: string) => ({ path, name: path.split('/').pop()!, head: readFileSync(path, 'utf8') });

describe('hr-roster', async () => {
  const items = await parseFile(hrRoster, ROSTER, NOW);
  const people = recordsOf(items, 'identity').filter((i) => i.kind === 'human');

  it('reads one item per row, with the row\'s line, and rejects bad rows naming the field', () => {
    expect(items.map((i) => [i.index, i.line, i.reject ?? 'ok'])).toEqual([
      [0, 2, 'ok'], [1, 3, 'ok'], [2, 4, 'ok'], [3, 5, 'ok'],
      [4, 6, 'missing employee_id'],
      [5, 7, 'start_date: "03/04/2022" is ambiguous (expected YYYY-MM-DD)'],
      [6, 8, 'ok'],
      [7, 9, 'row has 5 fields, the header has 11'],
    ]);
    for (const item of items) for (const r of item.records ?? []) expect(RECORD_SCHEMAS[r.kind].safeParse(r.value).success).toBe(true);
  });

  it('people: ids, names, emails, status from the status column and from the end date', () => {
    expect(people.map((p) => [p.id, p.name, p.email, p.status])).toEqual([
      ['hr:employee:E1001', 'Alice Nguyen', 'alice@example.com', 'active'],
      ['hr:employee:E1002', 'Bob Martin', 'bob@example.com', 'terminated'],
      // Active in the status column, but her end date is before the ingest's `now`.
      ['hr:employee:E1003', 'Carol Diaz', 'carol.diaz@example.com', 'terminated'],
      ['hr:employee:E1004', 'Dave Okafor', 'dave@example.com', 'inactive'],
      // An end date in the future does not end anything yet.
      ['hr:employee:E1007', 'Grace Hopper', 'grace@example.com', 'active'],
    ]);
    expect(people[0]).toMatchObject({
      provider: 'hr', origin: 'inventory', createdAt: '2019-03-04T00:00:00.000Z',
      attributes: { employeeId: 'E1001', team: 'Platform', department: 'Engineering', manager: 'grace@example.com', title: 'Engineer, Platform', startDate: '2019-03-04T00:00:00.000Z', employmentStatus: 'Active' },
    });
    expect(people[1].attributes).toMatchObject({ endDate: '2024-02-15T00:00:00.000Z' });
    expect(people[0].attributes).not.toHaveProperty('endDate');
  });

  it('teams: a group per team (department when the team is empty) and member_of edges', () => {
    expect(recordsOf(items, 'edge').map((e) => [e.from, e.kind, e.to])).toEqual([
      ['hr:employee:E1001', 'member_of', 'hr:team:platform'],
      ['hr:employee:E1002', 'member_of', 'hr:team:platform'],
      ['hr:employee:E1003', 'member_of', 'hr:team:payments-core'],
      ['hr:employee:E1004', 'member_of', 'hr:team:platform'],
      ['hr:employee:E1007', 'member_of', 'hr:team:engineering'],
    ]);
    expect(recordsOf(items, 'identity').find((i) => i.id === 'hr:team:payments-core')).toMatchObject({ kind: 'group', provider: 'hr', name: 'Payments Core' });
  });

  it('team slugs are the ones the ownership engine computes', () => {
    for (const name of ['Payments Core', 'Detection & Response', '  SRE / Platform  ', 'Ünïcode Team', '---']) expect(teamSlug(name)).toBe(engineSlug(name));
  });

  it('accepts other HR systems\' header names', async () => {
    const bamboo = 'employeeId,displayName,workEmail,department,supervisorEmail,status,hireDate,terminationDate\n42,Ana Lima,ana@example.com,Data,grace@example.com,Inactive,2020-01-01,2023-12-31\n';
    const items2 = await parseText(hrRoster, 'bamboo.csv', bamboo);
    expect(recordsOf(items2, 'identity')[0]).toMatchObject({ id: 'hr:employee:42', name: 'Ana Lima', email: 'ana@example.com', status: 'terminated', attributes: { team: 'Data', manager: 'grace@example.com' } });
    expect(detectRoster({ path: 'b.csv', name: 'b.csv', head: bamboo })).toBeGreaterThanOrEqual(0.8);
  });

  it('detects rosters and nothing else; an unreadable CSV is a FormatError with its line', async () => {
    expect(detectRoster(sample(ROSTER))).toBe(0.85);
    expect(detectRoster(sample(MAP_CSV))).toBe(0);
    expect(detectRoster({ path: 'x.json', name: 'x.json', head: '{"Records": []}' })).toBe(0);
    expect(detectRoster({ path: 'c.csv', name: 'c.csv', head: 'user,arn,user_creation_time\nalice,arn:aws:iam::1:user/alice,2020-01-01\n' })).toBe(0);
    await expect(parseText(hrRoster, 'bad.csv', 'employee_id,email,team\nE1,"a@example.com,Platform\nE2,b@example.com,Platform\n')).rejects.toThrow(FormatError);
    await expect(parseText(hrRoster, 'bad.csv', 'employee_id,email,team\nE1,"a@example.com,Platform\n')).rejects.toThrow(/^bad\.csv:\d+: not valid CSV: Quote Not Closed/);
  });
});

describe('ownership-map', () => {
  it('CSV: claims by the owner\'s shape, one item per row, rejects naming what is missing', async () => {
    const items = await parseFile(ownershipMap, MAP_CSV, NOW);
    expect(items.map((i) => [i.index, i.line, i.reject ?? 'ok'])).toEqual([
      [0, 2, 'ok'], [1, 3, 'ok'], [2, 4, 'ok'], [3, 5, 'ok'],
      [4, 6, 'missing owner or team for arn:aws:iam::111122223333:role/orphan'],
      [5, 7, 'missing identity (match, identity or pattern)'],
    ]);
    expect(recordsOf(items, 'ownerClaim').map((c) => [c.target, c.ref, c.refType, c.role, c.source, c.confidence])).toEqual([
      ['arn:aws:iam::111122223333:role/ci/*', 'alice@example.com', 'email', 'owner', 'ownership-map', 0.95],
      ['arn:aws:iam::111122223333:role/ci/*', 'Platform', 'team', 'team', 'ownership-map', 0.95],
      ['arn:aws:iam::444455556666:user/backdoor', 'E1002', 'employee_id', 'owner', 'ownership-map', 0.95],
      ['aws:access-key:*', 'Security', 'team', 'team', 'ownership-map', 0.95],
      ['arn:aws:iam::111122223333:role/fn-exec', 'alice@example.com', 'email', 'owner', 'ownership-map', 0.95],
      ['arn:aws:iam::111122223333:role/fn-exec', 'bob', 'username', 'owner', 'ownership-map', 0.95],
    ]);
    expect(recordsOf(items, 'ownerClaim')[0].evidence).toEqual([`${MAP_CSV}:2`]);
  });

  it('YAML: owners list with match / identity / pattern, owner lists, lines of each entry', async () => {
    const items = await parseFile(ownershipMap, MAP_YAML, NOW);
    expect(items.map((i) => [i.index, i.line, i.reject ?? 'ok'])).toEqual([
      [0, 3, 'ok'], [1, 7, 'ok'], [2, 9, 'ok'], [3, 11, 'ok'],
      [4, 13, 'missing identity (match, identity or pattern)'],
      [5, 15, 'expected a mapping with match (or identity, pattern) and owner or team'],
    ]);
    expect(recordsOf(items, 'ownerClaim').map((c) => [c.target, c.ref, c.refType, c.role])).toEqual([
      ['arn:aws:iam::444455556666:role/prod-*', 'carol.diaz@example.com', 'email', 'owner'],
      ['arn:aws:iam::444455556666:role/prod-*', 'Payments Core', 'team', 'team'],
      ['okta:user:00u1abc', 'alice', 'username', 'owner'],
      ['okta:user:00u1abc', '10234', 'employee_id', 'owner'],
      ['aws:web-identity:token.actions.githubusercontent.com/repo:acme/payments:*', 'Payments Core', 'team', 'team'],
      ['arn:aws:iam::111122223333:role/gha-deploy', 'hr:employee:E1003', 'identity', 'owner'],
    ]);
  });

  it('owner references by shape', () => {
    expect([
      'Alice@Example.com', 'E1002', '004512', 'EMP-0042', 'hr:employee:E1', 'okta:user:00u1', 'arn:aws:iam::1:user/x', 'team:Platform', 'hr:team:platform', 'jdoe', 'Jane Doe',
    ].map((v) => { const r = ownerRef(v); return `${r.refType}=${r.ref}`; })).toEqual([
      'email=alice@example.com', 'employee_id=E1002', 'employee_id=004512', 'employee_id=EMP-0042', 'identity=hr:employee:E1', 'identity=okta:user:00u1',
      'identity=arn:aws:iam::1:user/x', 'team=Platform', 'team=platform', 'username=jdoe', 'username=Jane Doe',
    ]);
  });

  it('detects both shapes; a map without its list or with broken YAML is a FormatError', async () => {
    expect(detectMap(sample(MAP_CSV))).toBe(0.85);
    expect(detectMap(sample(MAP_YAML))).toBe(0.9);
    expect(detectMap(sample(ROSTER))).toBe(0);
    expect(detectMap({ path: 'k.yaml', name: 'k.yaml', head: 'apiVersion: v1\nkind: ServiceAccount\n' })).toBe(0);
    await expect(parseText(ownershipMap, 'o.yaml', 'owners:\n  - match: "a*"\n    owner: [x\n')).rejects.toThrow(/^o\.yaml:\d+:\d+: not valid YAML/);
    await expect(parseText(ownershipMap, 'o.yaml', 'owners:\n  match: x\n')).rejects.toThrow(/o\.yaml:1: expected a top-level `owners:` list/);
    await expect(parseText(ownershipMap, 'o.csv', 'identity,note\nx,y\n')).rejects.toThrow(/o\.csv:1: header has no identity column .* and owner or team column/);
  });
});
