import { type Rng } from './rng.js';
import { FIRST_NAMES, LAST_NAMES, OFFICES, ORG, TEAMS, publicIp } from './vocab.js';
import { DAY, isoDate } from './time.js';
import type { OutputStats } from './output.js';
import { csvLine } from './output.js';

export type Office = (typeof OFFICES)[number];
export type EmploymentStatus = 'active' | 'terminated' | 'leave';

export interface Employee {
  id: string;
  first: string;
  last: string;
  name: string;
  email: string;
  /** IAM user name and local part of the email. */
  username: string;
  team: string;
  title: string;
  manager: Employee | null;
  status: EmploymentStatus;
  startDate: number;
  endDate: number | null;
  contractor: boolean;
  engineer: boolean;
  office: Office;
  homeIp: string;
  /** Set while planning the estate: the person has an IAM user in an identity account, and keys. */
  iamUser: boolean;
  keys: number;
}

export interface Org {
  employees: Employee[];
  teams: { name: string; engineering: boolean; lead: Employee }[];
  /** Egress addresses of each office (a small NAT pool). */
  officeIps: Map<string, string[]>;
}

const LEADERSHIP = 'Leadership';

/**
 * People first: teams with a lead each, leads reporting to leadership, a few contractors, a few who
 * have left (end date before the window) and some on leave. Employment facts are what HR would hold.
 */
export function buildOrg(rng: Rng, count: number, t0: number): Org {
  const used = new Set<string>();
  const people: Employee[] = [];
  let nextId = 10001;
  let nextContractor = 50001;
  const offices = OFFICES.map((o) => o);

  const person = (team: string, title: string, engineer: boolean, contractor = false): Employee => {
    let first = '';
    let last = '';
    let username = '';
    for (let attempt = 0; ; attempt++) {
      first = rng.pick(FIRST_NAMES);
      last = rng.pick(LAST_NAMES);
      username = `${first}.${last}`.toLowerCase().replace(/[^a-z0-9.-]/g, '');
      if (attempt > 20) username += attempt;
      if (!used.has(username)) break;
    }
    used.add(username);
    const id = contractor ? `C${nextContractor++}` : `E${nextId++}`;
    const startDate = t0 - rng.int(45, 9 * 365) * DAY;
    return {
      id, first, last, name: `${first} ${last}`, username,
      email: `${username}@${contractor ? `ext.${ORG.domain}` : ORG.domain}`,
      team, title: contractor ? `Contract ${title}` : title, manager: null, status: 'active', startDate, endDate: null,
      contractor, engineer, office: rng.weighted(offices.map((o, i) => [o, [5, 3, 2][i]] as const)),
      homeIp: publicIp(rng), iamUser: false, keys: 0,
    };
  };

  const ceo = person(LEADERSHIP, 'Chief Executive Officer', false);
  const cto = person(LEADERSHIP, 'Chief Technology Officer', true);
  const cfo = person(LEADERSHIP, 'Chief Financial Officer', false);
  const coo = person(LEADERSHIP, 'Chief Operating Officer', false);
  cto.manager = cfo.manager = coo.manager = ceo;
  people.push(ceo, cto, cfo, coo);

  const teams: Org['teams'] = [];
  for (const [t, size] of teamSizes(count - people.length)) {
    const lead = person(t.name, t.engineering ? 'Engineering Manager' : `${t.name} Manager`, t.engineering);
    lead.manager = t.engineering ? cto : t.name === 'Finance' || t.name === 'Legal' ? cfo : coo;
    people.push(lead);
    teams.push({ name: t.name, engineering: t.engineering, lead });
    for (let k = 1; k < size; k++) {
      const contractor = rng.chance(0.06);
      const p = person(t.name, rng.pick(t.titles), t.engineering, contractor);
      p.manager = lead;
      people.push(p);
    }
  }

  // Leavers and leave. Leads and leadership stay, so reporting lines hold. A few engineers always leave:
  // offboarding gaps need someone who had cloud access.
  const leads = new Set<Employee>([ceo, cto, cfo, coo, ...teams.map((t) => t.lead)]);
  const leave = (p: Employee) => {
    p.status = 'terminated';
    p.endDate = t0 - rng.int(12, 330) * DAY;
    if (p.startDate > p.endDate - 60 * DAY) p.startDate = p.endDate - rng.int(90, 1500) * DAY;
  };
  for (const p of people) {
    if (leads.has(p)) continue;
    if (rng.chance(0.045)) leave(p);
    else if (rng.chance(0.012)) p.status = 'leave';
  }
  const engineers = people.filter((p) => p.engineer && !leads.has(p) && !p.contractor);
  for (let i = 0; people.filter((p) => p.engineer && p.status === 'terminated').length < 3 && i < engineers.length; i++) {
    const p = rng.pick(engineers);
    if (p.status === 'active') leave(p);
  }

  const officeIps = new Map<string, string[]>();
  for (const o of OFFICES) officeIps.set(o.name, o.name.startsWith('Remote') ? [] : [publicIp(rng), publicIp(rng)]);
  return { employees: people, teams, officeIps };
}

/** Team sizes proportional to weight, every team at least its lead, summing to `n` (largest remainder). */
function teamSizes(n: number): [(typeof TEAMS)[number], number][] {
  const total = TEAMS.reduce((s, t) => s + t.weight, 0);
  const spare = Math.max(0, n - TEAMS.length);
  const exact = TEAMS.map((t) => (spare * t.weight) / total);
  const sizes = exact.map((x) => 1 + Math.floor(x));
  let left = Math.max(TEAMS.length, n) - sizes.reduce((s, x) => s + x, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) sizes[order[k][1]]++;
  return TEAMS.map((t, i) => [t, sizes[i]]);
}

export const ROSTER_HEADER = ['employee_id', 'email', 'name', 'manager', 'team', 'status', 'end_date', 'title', 'start_date'];

/** hr/roster.csv as an HR system exports it: one row per person, managers by email. */
export function rosterLines(org: Org): string[] {
  const lines = [csvLine(ROSTER_HEADER)];
  const sorted = [...org.employees].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const p of sorted) {
    lines.push(csvLine([
      p.id, p.email, p.name, p.manager?.email ?? '', p.team, p.status, p.endDate ? isoDate(p.endDate) : '', p.title, isoDate(p.startDate),
    ]));
  }
  return lines;
}

export type { OutputStats };
