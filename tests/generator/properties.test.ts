import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { parse as parseCsv } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../src/connectors/index.js';
import { memorySourceFile } from '../../src/connectors/shared/source-file.js';
import { deliveryWindow } from '../../src/generator/index.js';
import { csvLine } from '../../src/generator/output.js';
import { globToRegExp } from '../../src/generator/ownership.js';
import { Rng } from '../../src/generator/rng.js';
import { awsTime, ctTime, stsExpiration } from '../../src/generator/time.js';
import { CopilotError } from '../../src/lib/errors.js';
import { toIso } from '../../src/lib/time.js';
import { EstateFiles, generate } from './helpers.js';

/** A reference glob matcher, written the slow obvious way. */
function globMatches(pattern: string, text: string): boolean {
  if (!pattern.length) return !text.length;
  if (pattern[0] === '*') return globMatches(pattern.slice(1), text) || (text.length > 0 && globMatches(pattern, text.slice(1)));
  return text.length > 0 && pattern[0] === text[0] && globMatches(pattern.slice(1), text.slice(1));
}

describe('estate generator: building blocks (properties)', () => {
  it('csvLine round-trips any fields through a CSV parser', () => {
    fc.assert(fc.property(fc.array(fc.string(), { minLength: 1, maxLength: 8 }), (fields) => {
      const [row] = parseCsv(csvLine(fields), { relax_column_count: true }) as string[][];
      expect(row).toEqual(fields);
    }), { numRuns: 300 });
  });

  it('ownership patterns match exactly as a plain glob matcher does', () => {
    const piece = fc.constantFrom('arn', ':', 'aws', 'iam', '::', '*', 'role/', 'user/', 'svc-', 'a', '.', '+', '(', '[', '$', '?');
    fc.assert(fc.property(fc.array(piece, { maxLength: 8 }), fc.array(piece.filter((p) => p !== '*'), { maxLength: 10 }), (p, t) => {
      const pattern = p.join('');
      const text = t.join('');
      expect(globToRegExp(pattern).test(text)).toBe(globMatches(pattern, text));
    }), { numRuns: 500 });
  });

  it('the PRNG is a pure function of its seed and stays in range', () => {
    fc.assert(fc.property(fc.string(), fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 0, max: 1000 }), (seed, min, span) => {
      const a = new Rng(seed);
      const b = new Rng(seed);
      for (let i = 0; i < 20; i++) {
        const x = a.int(min, min + span);
        expect(x).toBe(b.int(min, min + span));
        expect(x >= min && x <= min + span).toBe(true);
      }
      expect(a.fork('x').uuid()).toBe(b.fork('x').uuid());
      expect(a.fork('x').uuid()).not.toBe(a.fork('y').uuid());
    }), { numRuns: 200 });
  });

  it('writes times the connectors read back to the same instant', () => {
    fc.assert(fc.property(fc.integer({ min: Date.parse('2000-01-01'), max: Date.parse('2040-01-01') }), (ms) => {
      const t = Math.floor(ms / 1000) * 1000;
      expect(toIso(ctTime(t))).toBe(new Date(t).toISOString());
      expect(toIso(awsTime(t))).toBe(new Date(t).toISOString());
      expect(new Date(stsExpiration(t).replace(/, (\d{4}),/, ' $1') + ' UTC').getTime()).toBe(t);
    }), { numRuns: 300 });
  });

  it('widens the delivery window only as far as needed for a few dozen records a file', () => {
    expect(deliveryWindow(10_000_000, 10)).toBe(5);
    expect(deliveryWindow(6000, 10)).toBe(60);
    fc.assert(fc.property(fc.integer({ min: 100, max: 50_000_000 }), fc.integer({ min: 1, max: 200 }), (perDay, streams) => {
      const m = deliveryWindow(perDay, streams);
      expect([5, 10, 15, 20, 30, 60]).toContain(m);
      if (m < 60) expect((m * perDay) / 1440 / streams).toBeGreaterThanOrEqual(30);
    }), { numRuns: 300 });
  });
});

describe('estate generator: any seed gives a consistent estate', () => {
  it('ground truth ids exist and quotas hold for random seeds and sizes', async () => {
    await fc.assert(fc.asyncProperty(fc.string({ minLength: 1, maxLength: 12 }), fc.integer({ min: 50, max: 120 }), async (seed, employees) => {
      const { out, summary } = await generate({ seed, employees, days: 1, eventsPerDay: 300 });
      const files = new EstateFiles(out);
      const gt = files.groundTruth();
      const principals = files.principals();
      expect(gt.incidents).toHaveLength(5);
      for (const i of gt.incidents) for (const id of i.chain) {
        if (id.startsWith('arn:aws:iam::') && !id.endsWith(':root')) expect(principals.has(id), `${seed}: ${id}`).toBe(true);
      }
      for (const id of [...gt.privesc, ...gt.orphaned]) expect(principals.has(id), `${seed}: ${id}`).toBe(true);
      for (const a of summary.accounts) expect(a.roles).toBeLessThanOrEqual(1000);
      expect(summary.identities.ratio).toBeGreaterThan(40);
      expect(summary.identities.ratio).toBeLessThan(50);
    }), { numRuns: 4 });
  }, 300_000);
});

describe('connectors on generated files under mutation (fuzz)', () => {
  let files: EstateFiles;
  let samples: { path: string; text: string }[];

  beforeAll(async () => {
    const g = await generate({ seed: 'fuzz', days: 1, eventsPerDay: 300 });
    files = new EstateFiles(g.out);
    const a = files.accounts[1];
    samples = [
      { path: join(g.out, 'aws', a, 'credential-report.csv'), text: readFileSync(join(g.out, 'aws', a, 'credential-report.csv'), 'utf8').slice(0, 6000) },
      { path: join(g.out, 'hr', 'roster.csv'), text: readFileSync(join(g.out, 'hr', 'roster.csv'), 'utf8').slice(0, 6000) },
      { path: join(g.out, 'ownership', 'ownership.yaml'), text: readFileSync(join(g.out, 'ownership', 'ownership.yaml'), 'utf8').slice(0, 6000) },
      { path: 'trail.json', text: JSON.stringify({ Records: JSON.parse(gunzipSync(readFileSync(files.trailFiles[0])).toString()).Records.slice(0, 20) }) },
      { path: join(g.out, 'aws', a, 'resources.json'), text: JSON.stringify({ ResourceTagMappingList: files.resources(a).ResourceTagMappingList.slice(0, 20) }, null, 4) },
      { path: join(g.out, 'aws', a, 'authorization-details.json'), text: JSON.stringify({ ...files.authz(a), RoleDetailList: files.authz(a).RoleDetailList.slice(0, 15), UserDetailList: files.authz(a).UserDetailList.slice(0, 10) }, null, 4) },
    ];
  }, 120_000);

  it('each generated file is recognised by its connector and parses without a reject', async () => {
    const expected = ['aws-credential-report', 'hr-roster', 'ownership-map', 'aws-cloudtrail', 'aws-resource-tags', 'aws-iam-authz'];
    for (const [i, s] of samples.entries()) {
      const file = memorySourceFile(s.path, s.text);
      const found = registry.detect({ path: s.path, name: file.name, head: file.head });
      expect(found?.connector.name, s.path).toBe(expected[i]);
    }
  });

  it('truncated or mutated generated files give FormatError or rejects, never another exception', async () => {
    const parse = async (path: string, text: string) => {
      const file = memorySourceFile(path, text);
      const connector = registry.detect({ path, name: file.name, head: file.head })?.connector;
      if (!connector) return;
      try {
        for await (const batch of connector.parse(file, { now: new Date('2026-11-10T00:00:00Z') })) {
          for (const item of batch) expect(item.reject !== undefined || Array.isArray(item.records)).toBe(true);
        }
      } catch (err) {
        if (!(err instanceof CopilotError)) throw err;
      }
    };
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 0, max: samples.length - 1 }),
      fc.oneof(
        fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
        fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), with: fc.string({ maxLength: 4 }) }),
        fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 40 }) }),
      ),
      async (which, m) => {
        const { path, text } = samples[which];
        const at = m.at % Math.max(1, text.length);
        const mutated = m.kind === 'truncate' ? text.slice(0, at) : m.kind === 'replace' ? text.slice(0, at) + m.with + text.slice(at + m.with.length) : text.slice(0, at) + text.slice(at + m.n);
        await parse(path, mutated);
      },
    ), { numRuns: 300 });
  }, 120_000);
});
