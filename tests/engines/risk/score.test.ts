import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bandOf, combine, readDefaults, riskSettings, severityOfWeight, SIGNALS, THRESHOLD_NAMES } from '../../../src/engines/risk/index.js';
import { Config, OwaspNhi } from '../../../src/model/index.js';

describe('the score function', () => {
  it('is the weight for one factor, and 100 x (1 - prod(1 - w/100)) for several', () => {
    expect(combine([])).toBe(0);
    expect(combine([60])).toBe(60);
    expect(combine([50, 50])).toBe(75);
    expect(combine([70, 35, 30, 30])).toBe(90);
    // 100 is read as 99.9: a certain factor does not flatten every other to the same score.
    expect(combine([100])).toBe(100);
    expect(combine([100, 50])).toBe(100);
  });

  it('is bounded, order-free, never below its strongest factor and never lowered by another (fast-check)', () => {
    const weights = fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 8 });
    fc.assert(fc.property(weights, fc.integer({ min: 0, max: 100 }), (ws, w) => {
      const s = combine(ws);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(100);
      expect(s).toBeGreaterThanOrEqual(Math.max(0, ...ws.map((x) => Math.min(x, 99.9))) - 0.5);
      expect(combine([...ws].reverse())).toBe(s);
      expect(combine([...ws, w])).toBeGreaterThanOrEqual(s);
    }));
  });

  it('bands scores and rates factor weights', () => {
    const t = riskSettings().thresholds;
    expect([bandOf(0, t), bandOf(10, t), bandOf(30, t), bandOf(60, t), bandOf(80, t)]).toEqual([null, 'low', 'medium', 'high', 'critical']);
    expect([severityOfWeight(10), severityOfWeight(25), severityOfWeight(45), severityOfWeight(60), severityOfWeight(70)]).toEqual(['info', 'low', 'medium', 'high', 'critical']);
  });
});

describe('risk defaults and overrides', () => {
  it('ship a weight for every signal the queries emit, every OWASP code, and every threshold', () => {
    const d = readDefaults();
    const codes = new Set(Object.keys(d.weights).map((k) => k.split('.')[0]));
    for (const c of OwaspNhi.options) expect(codes, c).toContain(c);
    for (const s of SIGNALS) expect(codes, s.code).toContain(s.code);
    for (const n of THRESHOLD_NAMES) expect(typeof d.thresholds[n], n).toBe('number');
    expect(d.thresholds).toMatchObject({ keyMaxAgeDays: 90, staleAfterDays: 90 });
  });

  it('applies idcopilot.yaml: a code sets all its signals, a signal wins over its code, thresholds by name', () => {
    const s = riskSettings(Config.parse({ risk: { weights: { 'NHI1.no_owner': 40, NHI1: 10 }, keyMaxAgeDays: 30, thresholds: { reuseNetworks: 9 } } }).risk);
    expect(s.weights['NHI1.no_owner']).toBe(40);
    expect(s.weights['NHI1.owner_left']).toBe(10);
    expect(s.weights['NHI1.unused_enabled']).toBe(10);
    expect(s.thresholds).toMatchObject({ keyMaxAgeDays: 30, staleAfterDays: 90, reuseNetworks: 9 });
    expect(() => riskSettings(Config.parse({ risk: { weights: { 'NHI1.nobody': 5 } } }).risk)).toThrowError(/risk\.weights\.NHI1\.nobody: no such signal/);
    expect(() => Config.parse({ risk: { weights: { NHI1: 150 } } })).toThrow();
  });
});
