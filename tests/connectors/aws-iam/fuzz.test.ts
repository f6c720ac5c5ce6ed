import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Connector } from '../../../src/connectors/contract.js';
import { connector as authz } from '../../../src/connectors/aws-iam-authz/index.js';
import { connector as credentialReport } from '../../../src/connectors/aws-credential-report/index.js';
import { connector as resourceTags } from '../../../src/connectors/aws-resource-tags/index.js';
import { memorySourceFile } from '../../../src/connectors/shared/source-file.js';
import { FormatError } from '../../../src/lib/errors.js';
import { FIXTURES } from './helpers.js';

/** A fixture cut short, with a slice deleted, or with characters that matter to the format put in. */
const mutation = (text: string) =>
  fc.oneof(
    fc.integer({ min: 0, max: text.length }).map((n) => text.slice(0, n)),
    fc.tuple(fc.integer({ min: 0, max: text.length }), fc.integer({ min: 1, max: 200 })).map(([at, n]) => text.slice(0, at) + text.slice(at + n)),
    fc.tuple(fc.integer({ min: 0, max: text.length }), fc.constantFrom('{', '}', '[', ']', '"', ',', ':', '\n', '\\', '%', 'null', '0', '""', '[]', '{}', 'N/A', 'true'))
      .map(([at, s]) => text.slice(0, at) + s + text.slice(at + 1)),
    fc.tuple(fc.integer({ min: 0, max: text.length }), fc.string({ maxLength: 8 })).map(([at, s]) => text.slice(0, at) + s + text.slice(at)),
  );

async function outcome(connector: Connector, text: string): Promise<'format' | 'items'> {
  try {
    for await (const batch of connector.parse(memorySourceFile('fuzz.input', text), { now: new Date() })) {
      for (const item of batch) {
        // Every source record is accounted for: it became records, or it was rejected with a reason.
        expect(item.records !== undefined || (typeof item.reject === 'string' && item.reject.length > 0)).toBe(true);
      }
    }
    return 'items';
  } catch (err) {
    if (err instanceof FormatError) {
      expect(err.message.startsWith('fuzz.input')).toBe(true);
      return 'format';
    }
    throw err;
  }
}

describe('aws-iam connectors under random truncation and mutation (property)', () => {
  const cases: [string, Connector, string][] = [
    ['aws-iam-authz', authz, 'authz-details.json'],
    ['aws-credential-report', credentialReport, 'credential-report.csv'],
    ['aws-resource-tags', resourceTags, 'resource-tags.json'],
  ];
  for (const [name, connector, fixture] of cases) {
    it(`${name}: only FormatError or per-record rejects, never another exception`, async () => {
      const text = readFileSync(join(FIXTURES, fixture), 'utf8');
      const seen = new Set<string>();
      await fc.assert(
        fc.asyncProperty(mutation(text), async (mutated) => {
          seen.add(await outcome(connector, mutated));
        }),
        { numRuns: 250 },
      );
      // Both paths were exercised, so the property says something about each.
      expect([...seen].sort()).toEqual(['format', 'items']);
    });
  }
});
