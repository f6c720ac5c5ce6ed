import { describe, expect, it } from 'vitest';
import { generateEstate } from '../../src/generator/index.js';
import { CopilotError } from '../../src/lib/errors.js';
import { SMALL, generate, tempDir, treeHash, walk } from './helpers.js';

describe('estate generator: determinism', () => {
  it('the same seed gives the same bytes; another seed gives other bytes', async () => {
    const a = await generate();
    const b = await generate();
    const c = await generate({ seed: 'tests-other' });
    expect(a.summary.files).toBeGreaterThan(20);
    expect(treeHash(a.out)).toBe(treeHash(b.out));
    expect({ ...b.summary, out: a.out }).toEqual(a.summary);
    expect(treeHash(c.out)).not.toBe(treeHash(a.out));
    // Not just the file names: the roster and the trail differ in content.
    const files = (dir: string) => [...walk(dir)].map((f) => f.slice(dir.length));
    expect(files(c.out)).toContain('/hr/roster.csv');
    expect(c.summary.accounts.map((x) => x.id)).not.toEqual(a.summary.accounts.map((x) => x.id));
  }, 180_000);

  it('a numeric seed and its string form are the same seed; startDate moves the window', async () => {
    const n = await generate({ seed: 7, days: 1, eventsPerDay: 300 });
    const s = await generate({ seed: '7', days: 1, eventsPerDay: 300 });
    expect(treeHash(n.out)).toBe(treeHash(s.out));
    const later = await generate({ seed: 7, days: 1, eventsPerDay: 300, startDate: '2027-02-01T00:00:00Z' });
    expect(later.summary.window.start).toBe('2027-02-01T00:00:00.000Z');
    expect([...walk(later.out)].some((f) => f.includes('/CloudTrail/us-east-1/2027/02/01/'))).toBe(true);
  }, 120_000);

  it('refuses bad options and folders holding other files, and replaces its own output with overwrite', async () => {
    await expect(generateEstate({ ...SMALL, employees: 10, out: tempDir('bad') })).rejects.toThrow(/employees/);
    await expect(generateEstate({ ...SMALL, startDate: '01/11/2026', out: tempDir('bad') })).rejects.toThrow(CopilotError);
    const { out } = await generate({ days: 1, eventsPerDay: 300 });
    await expect(generateEstate({ ...SMALL, days: 1, eventsPerDay: 300, out })).rejects.toThrow(/not empty.*overwrite/);
    const before = treeHash(out);
    await generateEstate({ ...SMALL, days: 1, eventsPerDay: 300, out, overwrite: true });
    expect(treeHash(out)).toBe(before);
    const foreign = tempDir('foreign');
    await import('node:fs').then((fs) => fs.writeFileSync(`${foreign}/notes.txt`, 'mine'));
    await expect(generateEstate({ ...SMALL, out: foreign, overwrite: true })).rejects.toThrow(/notes\.txt/);
  }, 120_000);
});
