import { afterAll, beforeAll, expect, it } from 'vitest';
import { RealtimeService } from '../../src/realtime/index.js';
import { Config } from '../../src/model/index.js';
import type { Db } from '../../src/store/index.js';
import { describeStores } from '../helpers/stores.js';
import { ctRecord, eventId } from './cloudtrail.js';

const T = Date.parse('2026-05-01T10:00:00Z');
const body = (recs: Record<string, unknown>[]) => recs.map((r) => JSON.stringify(r)).join('\n') + '\n';

describeStores('realtime risk cadence', (open) => {
  let db: Db;
  beforeAll(async () => {
    db = await open();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('re-scores only after new data, and waits nine times its last duration before the next scoring', async () => {
    const runs: { end: number; ms: number }[] = [];
    const svc = new RealtimeService(db, {
      config: Config.parse({}),
      riskIntervalMs: 20, // asks for a scoring every 20 ms: the duty cycle must hold it back
      notify: null,
      onEvent: (e) => {
        if (e.type === 'risk') runs.push({ end: Date.now(), ms: e.ms });
      },
    });
    await svc.start();
    try {
      let n = 0;
      const until = Date.now() + 40_000;
      while (runs.length < 3 && Date.now() < until) {
        // New data keeps arriving, so every interval would score if nothing held it back.
        const recs = [0, 1].map((k) => ctRecord({ id: eventId(`cad-${db.driver}-${n}-${k}`), time: new Date(T + n * 1000 + k), user: `svc-cad-${n % 5}`, action: 'ListUsers' }));
        const r = svc.reserve(1 << 20)!;
        await svc.submit(r, { label: 'http:test', text: body(recs), receivedAt: Date.now() });
        await svc.settled();
        n++;
        await new Promise((res) => setTimeout(res, 25));
      }
    } finally {
      await svc.stop();
    }
    expect(runs.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < runs.length; i++) {
      const start = runs[i].end - runs[i].ms;
      // Timers are coarse: allow a few milliseconds.
      expect(start - runs[i - 1].end).toBeGreaterThanOrEqual(9 * runs[i - 1].ms - 5);
    }
  }, 60_000);
});
