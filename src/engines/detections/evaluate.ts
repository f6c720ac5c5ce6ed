import type { AlertInput } from '../../model/index.js';
import type { SeenState } from '../baseline/state.js';
import { matchingRules, type CompiledRule, type RuleSet } from './load.js';
import type { EventView } from './view.js';

/**
 * What the rules make of a stream of events in time order: `match` rules alert on every matching
 * event, `first_time` and `new_network` rules consult and update the seen state, `burst` rules keep a
 * window per key in memory. Alert ids are `rule:<rule id>:<event id>`, so evaluating an event twice
 * (a re-run, an overlap between incremental runs) writes the same alert again, not a second one.
 */
export interface Phase {
  /** Raise alerts for this event (false: only warm windows and state, as for history before --since). */
  alert: boolean;
  /** Judge stateful rules (first time, new network): only after the baseline cut-off. */
  judge: boolean;
  /** Fold the event into the seen state (false when a previous run already did: incremental overlap). */
  learn: boolean;
}

export interface Window {
  items: { ms: number; id: string; distinct: string | null }[];
}

const EVENTS_PER_ALERT = 20;

export class RuleEvaluator {

  readonly alerts = new Map<string, AlertInput>();
  readonly counts = new Map<string, number>();

  /**
   * @param windows burst windows carried over from an earlier run (a long-running process keeps them
   *   between incremental runs instead of replaying the longest window from the store each time).
   */
  constructor(private readonly set: RuleSet, private readonly state: SeenState | null, private readonly windows = new Map<string, Window>()) {}

  /** The state subjects this event's stateful rules need loaded. */
  subjectsOf(e: EventView, out: Set<string>): void {
    for (const r of matchingRules(this.set, e)) {
      if (r.rule.type === 'first_time' || r.rule.type === 'new_network') {
        const k = stateKey(r, e);
        if (k) out.add(k.subject);
      }
    }
  }

  observe(e: EventView, phase: Phase): CompiledRule[] {
    const fired: CompiledRule[] = [];
    for (const r of matchingRules(this.set, e)) {
      switch (r.rule.type) {
        case 'match':
          if (phase.alert) {
            this.raise(r, e, [e.id], {});
            fired.push(r);
          }
          break;
        case 'first_time': {
          const k = stateKey(r, e);
          if (!k || !this.state) break;
          const isNew = this.state.isNew(k.subject, k.dim, k.value);
          if (phase.learn) this.state.see(k.subject, k.dim, k.value, e.ms);
          if (isNew && phase.judge && phase.alert) {
            this.raise(r, e, [e.id], { key: k.value === '*' ? k.subject : `${k.subject} -> ${k.value}` });
            fired.push(r);
          }
          break;
        }
        case 'new_network': {
          const k = stateKey(r, e);
          if (!k || !this.state || !e.network) break;
          const known = this.state.distinct(k.subject, k.dim);
          const isNew = this.state.isNew(k.subject, k.dim, e.network);
          if (phase.learn) this.state.see(k.subject, k.dim, e.network, e.ms);
          // The first network a subject is seen on is its own: only a second one is news.
          if (isNew && known > 0 && phase.judge && phase.alert) {
            this.raise(r, e, [e.id], { key: k.subject, network: e.network, knownNetworks: known });
            fired.push(r);
          }
          break;
        }
        case 'burst': {
          const key = r.keyOf(e);
          if (key === null) break;
          const wkey = `${r.rule.id}\u0000${key}`;
          let w = this.windows.get(wkey);
          if (!w) this.windows.set(wkey, (w = { items: [] }));
          const from = e.ms - r.windowMs;
          while (w.items.length && w.items[0].ms < from) w.items.shift();
          w.items.push({ ms: e.ms, id: e.id, distinct: r.distinctOf ? r.distinctOf(e) : null });
          const n = r.distinctOf ? new Set(w.items.map((i) => i.distinct).filter((d) => d !== null)).size : w.items.length;
          if (n >= r.rule.count!) {
            if (phase.alert) {
              this.raise(r, e, w.items.slice(-EVENTS_PER_ALERT).map((i) => i.id), { key, count: n, window: r.rule.window });
              fired.push(r);
            }
            // One alert per window's worth of events: the next needs `count` more.
            w.items = [];
          }
          break;
        }
      }
    }
    return fired;
  }

  private raise(r: CompiledRule, e: EventView, events: string[], detail: Record<string, unknown>): void {
    const id = `rule:${r.rule.id}:${e.id}`;
    this.counts.set(r.rule.id, (this.counts.get(r.rule.id) ?? 0) + 1);
    this.alerts.set(id, ruleAlert(r, e, id, events, detail));
  }

  /** Drop windows that ended before `ms`: a long run must not hold every key it ever saw. */
  prune(ms: number, maxWindowMs: number): void {
    for (const [k, w] of this.windows) if (!w.items.length || w.items[w.items.length - 1].ms < ms - maxWindowMs) this.windows.delete(k);
  }
}

/** first_time: the first key path is the subject, the rest (or `*`) the value; new_network: the key is the subject. */
function stateKey(r: CompiledRule, e: EventView): { subject: string; dim: string; value: string } | null {
  const key = r.keyOf(e);
  if (key === null) return null;
  const dim = `rule:${r.rule.id}`;
  if (r.rule.type === 'new_network') return { subject: key, dim, value: '' };
  const bar = key.indexOf('|');
  return bar === -1 ? { subject: key, dim, value: '*' } : { subject: key.slice(0, bar), dim, value: key.slice(bar + 1) };
}

/** Identity ids the alert is about, from the rule's `identities` refs. */
export function alertIdentities(r: CompiledRule, e: EventView): string[] {
  const out = new Set<string>();
  for (const ref of r.rule.identities) {
    if (ref === 'actor') out.add(e.actorId);
    else if (ref === 'target') {
      if (e.target && (e.targetIdentity.kind !== null || /^arn:aws[a-z-]*:iam::\d{12}:(user|role|group)\//.test(e.target))) out.add(e.target);
    } else if (ref === 'chain') {
      const obo = e.chain.onBehalfOf;
      if (typeof obo === 'string' && obo) out.add(obo);
      const del = e.chain.delegation;
      if (Array.isArray(del)) for (const d of del) if (typeof d === 'string') out.add(d);
    } else if (ref === 'credential') {
      if (e.credential.issuedTo) out.add(e.credential.issuedTo);
      if (e.credential.holder) out.add(e.credential.holder);
      // A long-term key is an identity of its own (docs/model.md); a session key is not.
      if (e.credential.id && /^(aws:access-key:|github:pat:|okta:api-token:)/.test(e.credential.id)) out.add(e.credential.id);
    }
  }
  return [...out];
}

function ruleAlert(r: CompiledRule, e: EventView, id: string, events: string[], detail: Record<string, unknown>): AlertInput {
  const who = e.actor.name && e.actor.name !== e.actorId ? `${e.actor.name} (${e.actorId})` : e.actorId;
  const what = `${e.action}${e.target ? ` on ${e.target}` : ''}`;
  const where = e.sourceIp ? ` from ${e.sourceIp}` : '';
  const extra = r.rule.type === 'burst' ? `: ${detail.count} within ${r.rule.window}` : r.rule.type === 'first_time' ? ': first time' : r.rule.type === 'new_network' ? `: network ${detail.network} never used by ${detail.key}` : '';
  return {
    id,
    time: e.time,
    source: 'copilot:rules',
    severity: r.rule.severity,
    title: r.rule.title,
    description: `${who} ${what}${where}${extra}.${r.rule.description ? ` ${r.rule.description}` : ''}`,
    rule: r.rule.id,
    identities: alertIdentities(r, e),
    credentials: e.credential.id ? [e.credential.id] : [],
    events,
    entities: e.sourceIp ? { ip: [e.sourceIp] } : {},
    mitre: r.rule.mitre,
    confidence: r.rule.confidence,
    detail: { type: r.rule.type, provider: e.provider, action: e.action, ...detail },
  };
}
