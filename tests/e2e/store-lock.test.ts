import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { idcopilot, ROOT, startBackground } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'idc-lock-'));
const data = join(dir, 'store');
const holder = join(dir, 'hold.mts');
writeFileSync(holder, `
import { openStore } from ${JSON.stringify(join(ROOT, 'src/store/index.ts'))};
const db = await openStore({ data: ${JSON.stringify(data)}, command: 'serve --http' });
await db.query("INSERT INTO identities (id, kind, provider, name) VALUES ('t:1', 'role', 'aws', 'kept') ON CONFLICT DO NOTHING");
console.log('holding');
setInterval(() => {}, 1000);
`);

describe('the embedded store admits one process at a time', { timeout: 180_000 }, () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a second command says the store is in use, names the holder, and exits at once with status 3', async () => {
    const bg = startBackground(['--import', 'tsx', holder], /holding/, { node: true });
    await bg.ready;
    try {
      const started = Date.now();
      const r = idcopilot(['lookup', 'kept', '--data', data], { timeoutMs: 20_000 });
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(r.status).toBe(3);
      expect(r.stderr).toMatch(new RegExp(`in use by process ${bg.child.pid} \\(\`idcopilot serve --http\``));
    } finally {
      bg.child.kill('SIGKILL');
      await new Promise((r) => bg.child.once('exit', r));
    }
    // The holder died without releasing its lock: the next command takes the stale lock over, and the data is intact.
    const r = idcopilot(['lookup', 'kept', '--data', data, '--json']);
    expect(r.status).toBe(0);
    expect(r.json().identities.map((i: { id: string }) => i.id)).toEqual(['t:1']);
  });
});
