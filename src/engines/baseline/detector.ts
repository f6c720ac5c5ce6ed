import { SEVERITY_RANK, type AlertInput, type Severity } from '../../model/index.js';
import type { EventView } from '../detections/view.js';
import type { Thresholds } from '../risk/settings.js';
import { agentFamily, dataResources, hourOf, isReadOnly, publicNetwork, shortService, valuesOf } from './profile.js';
import { meanHourly, type SeenState } from './state.js';

/**
 * Behaviour baselines: each identity against its own history. Every event is folded into the
 * identity's baseline; events after the cut-off are first judged against it. What deviates becomes a
 * copilot:baseline alert, one per identity, deviation kind and hour, with counts, so that a burst of a
 * thousand reads from a new network is one alert that says so rather than a thousand.
 */
export type DeviationKind = 'new_action' | 'new_resource' | 'new_network' | 'new_agent' | 'new_caller' | 'unusual_hour' | 'rate_spike' | 'dormant';

export const DEVIATION_TITLES: Record<DeviationKind, string> = {
  new_action: 'first use of an action',
  new_resource: 'first access to a data resource',
  new_network: 'activity from a network never seen for it',
  new_agent: 'activity from a client never seen for it',
  new_caller: 'a new identity acting through it',
  unusual_hour: 'activity at an hour it is never active',
  rate_spike: 'activity far above its hourly rate',
  dormant: 'a dormant identity became active',
};

const MITRE: Record<DeviationKind, string[]> = {
  new_action: ['T1078'],
  new_resource: ['T1530'],
  new_network: ['T1078.004'],
  new_agent: ['T1078.004'],
  new_caller: ['T1078.004', 'T1550.001'],
  unusual_hour: ['T1078'],
  rate_spike: ['T1530'],
  dormant: ['T1078.004'],
};

/** Services where a new write is a change of who can do what, not a change of data. */
const CONTROL_PLANE = new Set(['iam', 'sts', 'kms', 'organizations', 'cloudtrail', 'secretsmanager', 'sso', 'identitystore']);
/** Dimensions a caller carries into the roles it assumes: its networks, clients, hours and data. */
const SHARED_WITH_CALLER = new Set(['network', 'agent', 'hour', 'resource']);
const HOUR = 3_600_000;
const DAY = 86_400_000;
const EVENTS_PER_ALERT = 20;
const VALUES_PER_ALERT = 10;

export interface SubjectFacts {
  createdMs: number | null;
  origin: string;
  kind: string;
  /** Credentials an inventory (not a log) lists for it, and the latest use it states. */
  inventoryCredentials: number;
  credentialLastUsedMs: number | null;
}

export interface BaselineOptions {
  state: SeenState;
  thresholds: Thresholds;
  /** Classification of a data resource (restricted, confidential, ...) or crown jewel, when known. */
  classify: (resource: string) => string | null;
  /** Inventory facts of subjects that have no history yet (for dormancy). */
  facts: (subject: string) => SubjectFacts | undefined;
  /** The earliest event in the store: how far back the logs say "no activity". */
  logStartMs: number;
}

interface Group {
  subject: string;
  kind: DeviationKind;
  hour: number;
  count: number;
  severity: Severity;
  values: Map<string, number>;
  events: string[];
  identities: Set<string>;
  firstMs: number;
  firstTime: string;
  /** Explanations with the severity of the deviation they explain, the most severe reported first. */
  notes: Map<string, number>;
  ratio: number;
}

/** Which alert kind a new value in a dimension is. */
const KIND_OF_DIM: Record<string, DeviationKind> = {
  action: 'new_action', resource: 'new_resource', network: 'new_network', agent: 'new_agent', caller: 'new_caller', caller_class: 'new_caller', hour: 'unusual_hour',
};

/** An hour already reported by a previous run: events that continue it are counted in it. */
export interface OpenGroup {
  subject: string;
  kind: DeviationKind;
  hour: number;
  values: string[];
  severity: Severity;
  notes: string[];
  firstTime: string;
}

export class BaselineDetector {
  private readonly groups = new Map<string, Group>();

  constructor(private readonly o: BaselineOptions) {}

  /** Subjects that have a baseline: people and machines, not the provider's own service principals. */
  static subjectOf(e: EventView): string | null {
    const id = e.actorId;
    if (id.startsWith('aws:service:') || id === 'aws:principal:*' || id.startsWith('azure:service:')) return null;
    // The role account's copy of a cross-account call names only the caller's account root: that is
    // everyone in that account at once, which has no habits to learn.
    if (id.endsWith(':root') && typeof e.detail.principalId === 'string') return null;
    return id;
  }

  /**
   * Who is behind a role session: the identity the session was issued to (the person or workload
   * that assumed the role). A role shared by forty engineers has forty callers, each with their own
   * networks and hours; judging the role alone would call every engineer's home network new.
   */
  static callerOf(e: EventView, subject: string): string | null {
    const c = e.credential.issuedTo;
    if (!c || c === subject || c.startsWith('aws:service:') || c === 'aws:principal:*') return null;
    // The role account's copy of a cross-account AssumeRole names only the caller's account (its root):
    // that is everyone in the account, not a caller with habits of its own.
    if (c.endsWith(':root')) return null;
    return c;
  }

  observe(e: EventView, judge: boolean): void {
    const subject = BaselineDetector.subjectOf(e);
    if (!subject) return;
    const st = this.o.state;
    const t = this.o.thresholds;
    const before = st.rate(subject);
    const caller = BaselineDetector.callerOf(e, subject);
    const values = valuesOf(e);
    if (caller) {
      values.push(['caller', caller]);
      values.push(['caller_class', e.credential.issuedToKind === 'human' ? 'human' : 'machine']);
    }
    if (judge) {
      if (!before) this.judgeDormant(e, subject);
      else if (before.events >= t.baselineMinEvents && e.ms - before.first >= t.baselineMinHistoryHours * HOUR) {
        for (const [dim, value] of values) {
          if (!st.isNew(subject, dim, value)) {
            this.continues(e, subject, dim, value);
            continue;
          }
          // A dimension that takes a new value every few events (a Lambda's addresses) is no baseline.
          if (dim !== 'hour' && dim !== 'caller_class' && st.distinct(subject, dim) > t.baselineMaxDiversity * before.events) continue;
          // What is familiar to the caller is not news through the role either (their home network, their laptop).
          if (caller && SHARED_WITH_CALLER.has(dim) && !st.isNew(caller, dim, value)) continue;
          const d = this.deviation(e, subject, dim, value);
          if (d) this.add(e, subject, d.kind, value, d.severity, d.note);
        }
      }
    }
    for (const [dim, value] of values) {
      st.see(subject, dim, value, e.ms);
      if (caller && SHARED_WITH_CALLER.has(dim)) st.see(caller, dim, value, e.ms);
    }
    const r = st.count(subject, e.ms);
    if (judge && before && before.events >= t.baselineMinEvents) {
      const mean = meanHourly(r);
      if (mean !== null && r.hourCount >= t.baselineRateMinEvents && r.hourCount >= t.baselineRateFactor * mean && r.hourCount > r.maxHourly) {
        const ratio = Math.round(r.hourCount / mean);
        const g = this.add(e, subject, 'rate_spike', `${ratio}x`, ratio >= 4 * t.baselineRateFactor ? 'high' : 'medium', `${ratio}x its hourly rate (mean ${mean.toFixed(1)} events per active hour)`);
        g.ratio = Math.max(g.ratio, ratio);
      }
    }
  }

  private deviation(e: EventView, subject: string, dim: string, value: string): { kind: DeviationKind; severity: Severity; note: string } | null {
    const t = this.o.thresholds;
    switch (dim) {
      case 'action': {
        const svc = shortService(e.service);
        const write = !isReadOnly(e);
        // Failed calls are probing, not new behaviour that worked; they still count when they are writes.
        const severity: Severity = write && CONTROL_PLANE.has(svc) ? 'medium' : write ? 'low' : 'info';
        return { kind: 'new_action', severity, note: `first time it called ${value}${e.outcome === 'failure' ? ' (denied)' : ''}` };
      }
      case 'resource': {
        const c = this.o.classify(value);
        // Restricted data and crown jewels are what a first touch is about; the rest explains other deviations.
        const severity: Severity = c === 'crown-jewel' || c === 'restricted' ? 'high' : 'low';
        return { kind: 'new_resource', severity, note: `first time it touched ${value}${c ? ` (${c})` : ''}` };
      }
      case 'network':
        return { kind: 'new_network', severity: 'medium', note: `from a network never seen for it (${value})` };
      case 'agent': {
        const machine = e.actor.kind !== null && e.actor.kind !== 'human';
        return { kind: 'new_agent', severity: value === 'browser' && machine ? 'medium' : 'low', note: `from a client never seen for it (${value})` };
      }
      case 'caller_class':
        // A role only workloads ever used, now driven by a person (or the reverse).
        return { kind: 'new_caller', severity: value === 'human' ? 'high' : 'medium', note: `first time a ${value} identity acted through it (${e.credential.issuedTo})` };
      case 'caller':
        return { kind: 'new_caller', severity: 'low', note: `first time ${value} acted through it` };
      case 'hour': {
        const active = this.o.state.distinct(subject, 'hour');
        if (active > t.baselineMaxActiveHours) return null;
        return { kind: 'unusual_hour', severity: 'low', note: `at ${value}:00 UTC, an hour it was never active in (active in ${active} of 24)` };
      }
      default:
        return null;
    }
  }

  /**
   * No history at all: dormant when the inventory knew it before the logs begin and the logs show no
   * activity for baselineDormantMinDays. High when the inventory agrees (its credentials' last use,
   * as the credential report states it, is staleAfterDays old or never); low otherwise, since a weekly
   * job looks the same to logs alone.
   */
  private judgeDormant(e: EventView, subject: string): void {
    const f = this.o.facts(subject);
    if (!f || f.origin === 'log' || f.createdMs === null || f.createdMs > this.o.logStartMs) return;
    const t = this.o.thresholds;
    const silentDays = (e.ms - this.o.logStartMs) / DAY;
    if (silentDays < t.baselineDormantMinDays) return;
    const lastUse = f.credentialLastUsedMs;
    const staleMs = t.staleAfterDays * DAY;
    const confirmed = f.inventoryCredentials > 0 && (lastUse === null || e.ms - lastUse >= staleMs);
    const since = confirmed ? (lastUse === null ? 'its credentials never used, per the inventory' : `its credentials last used ${new Date(lastUse).toISOString().slice(0, 10)}, per the inventory`) : `created ${new Date(f.createdMs).toISOString().slice(0, 10)}`;
    this.add(e, subject, 'dormant', 'first activity', confirmed ? 'high' : 'low', `first activity after ${Math.floor(silentDays)} days of logs without any (${since})`);
  }

  private add(e: EventView, subject: string, kind: DeviationKind, value: string, severity: Severity, note: string): Group {
    const hour = Math.floor(e.ms / HOUR) * HOUR;
    const key = `${subject}\u0000${kind}\u0000${hour}`;
    let g = this.groups.get(key);
    if (!g) {
      g = { subject, kind, hour, count: 0, severity, values: new Map(), events: [], identities: new Set([subject]), firstMs: e.ms, firstTime: e.time, notes: new Map(), ratio: 0 };
      this.groups.set(key, g);
    }
    g.count++;
    if (SEVERITY_RANK[severity] > SEVERITY_RANK[g.severity]) g.severity = severity;
    g.values.set(value, (g.values.get(value) ?? 0) + 1);
    if (g.events.length < EVENTS_PER_ALERT) g.events.push(e.id);
    const rank = SEVERITY_RANK[severity];
    if ((g.notes.get(note) ?? -1) < rank) g.notes.set(note, rank);
    for (const id of [e.credential.issuedTo, e.credential.holder, e.chain.onBehalfOf as string | null]) if (id && g.identities.size < 10) g.identities.add(id);
    return g;
  }

  /**
   * An event whose value is no longer new (its first sighting opened a deviation this hour) still
   * belongs to that deviation: the alert counts every event from the new network in that hour, not
   * only the first.
   */
  private continues(e: EventView, subject: string, dim: string, value: string): void {
    const kind = KIND_OF_DIM[dim];
    if (!kind || kind === 'unusual_hour') return;
    const g = this.groups.get(`${subject}\u0000${kind}\u0000${Math.floor(e.ms / HOUR) * HOUR}`);
    if (!g || !g.values.has(value)) return;
    g.count++;
    g.values.set(value, (g.values.get(value) ?? 0) + 1);
    if (g.events.length < EVENTS_PER_ALERT) g.events.push(e.id);
  }

  /** Hours a previous run reported (incremental runs): their values keep counting here. */
  reopen(groups: OpenGroup[]): void {
    for (const o of groups) {
      const key = `${o.subject}\u0000${o.kind}\u0000${o.hour}`;
      if (this.groups.has(key)) continue;
      this.groups.set(key, {
        subject: o.subject, kind: o.kind, hour: o.hour, count: 0, severity: o.severity, values: new Map(o.values.map((v) => [v, 0])), events: [],
        identities: new Set([o.subject]), firstMs: Date.parse(o.firstTime), firstTime: o.firstTime,
        notes: new Map(o.notes.map((n, i) => [n, SEVERITY_RANK[o.severity] - (i ? 1 : 0)])), ratio: 0,
      });
    }
  }

  /**
   * The deviation groups as alerts. Medium and above stand on their own; low ones (an unusual hour, an
   * unclassified bucket, a weekly job waking up) only when the same identity deviates at medium or
   * above in the same hour, so that they explain an alert rather than make noise; info never.
   */
  alerts(minSeverity: Severity = 'medium'): AlertInput[] {
    const out: AlertInput[] = [];
    const strong = new Set<string>();
    for (const g of this.groups.values()) if (g.count > 0 && SEVERITY_RANK[g.severity] >= SEVERITY_RANK[minSeverity]) strong.add(`${g.subject}\u0000${g.hour}`);
    for (const g of this.groups.values()) {
      if (g.count === 0) continue;
      const rank = SEVERITY_RANK[g.severity];
      if (rank < SEVERITY_RANK.low) continue;
      if (rank < SEVERITY_RANK[minSeverity] && !strong.has(`${g.subject}\u0000${g.hour}`)) continue;
      const hourIso = new Date(g.hour).toISOString();
      const top = [...g.values].sort((a, b) => b[1] - a[1]).slice(0, VALUES_PER_ALERT);
      out.push({
        id: `baseline:${g.kind}:${hourIso.slice(0, 13)}:${g.subject}`,
        time: g.firstTime,
        source: 'copilot:baseline',
        severity: g.severity,
        title: `Behaviour: ${DEVIATION_TITLES[g.kind]}`,
        description: `${[...g.notes].sort((a, b) => b[1] - a[1]).slice(0, VALUES_PER_ALERT).map(([n]) => n).join('; ')} (${g.count} event${g.count === 1 ? '' : 's'} in the hour from ${hourIso.slice(11, 16)} UTC)`,
        rule: `baseline:${g.kind}`,
        identities: [...g.identities],
        events: g.events,
        entities: g.kind === 'new_network' ? { network: top.map(([v]) => v) } : {},
        mitre: MITRE[g.kind],
        confidence: g.kind === 'dormant' || g.kind === 'rate_spike' ? 0.7 : 0.5,
        detail: {
          kind: g.kind, hour: hourIso, count: g.count, values: Object.fromEntries(top), ...(g.ratio ? { ratio: g.ratio } : {}),
          notes: [...g.notes].sort((a, b) => b[1] - a[1]).slice(0, VALUES_PER_ALERT).map(([n]) => n),
        },
      });
    }
    return out;
  }
}

export { agentFamily, dataResources, hourOf, publicNetwork };
