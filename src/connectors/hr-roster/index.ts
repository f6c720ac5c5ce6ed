import { RecordError } from '../../lib/errors.js';
import { TimeError, toIso } from '../../lib/time.js';
import type { CanonicalRecord, IdentityStatus } from '../../model/index.js';
import { rec, type Connector, type Sample, type SourceItem } from '../contract.js';
import { headerKey, readCsv, sampleHeader } from './csv-rows.js';

/**
 * An HR roster as HR systems export it (Workday, BambooHR, HiBob, Rippling, a spreadsheet): one row
 * per employee. People become `human` identities `hr:employee:<id>`, teams become `group` identities
 * `hr:team:<slug>` with a `member_of` edge; the ownership engine then follows owners' emails to these
 * records, so that an owner who left shows as terminated. See docs/connectors.md.
 */
type Field = 'employeeId' | 'email' | 'name' | 'firstName' | 'lastName' | 'manager' | 'team' | 'department' | 'status' | 'endDate' | 'title' | 'startDate';

/** Accepted header names per field, compared with headerKey() (no case, spaces, `_` or `-`). */
const ALIASES: Record<Field, string[]> = {
  employeeId: ['employeeid', 'empid', 'employeenumber', 'employeeno', 'workerid', 'personid', 'staffid', 'id'],
  email: ['email', 'workemail', 'emailaddress', 'mail', 'primaryemail', 'businessemail'],
  name: ['name', 'fullname', 'displayname', 'employeename', 'preferredname'],
  firstName: ['firstname', 'givenname', 'first', 'legalfirstname'],
  lastName: ['lastname', 'surname', 'familyname', 'last', 'legallastname'],
  manager: ['manager', 'manageremail', 'managerid', 'managerworkemail', 'supervisor', 'supervisoremail', 'supervisorid', 'reportsto'],
  team: ['team', 'teamname', 'squad'],
  department: ['department', 'dept', 'departmentname', 'org', 'organization', 'division'],
  status: ['status', 'employmentstatus', 'workerstatus', 'employeestatus', 'active'],
  endDate: ['enddate', 'terminationdate', 'termdate', 'lastday', 'lastdayofwork', 'separationdate'],
  title: ['title', 'jobtitle', 'position', 'businesstitle'],
  startDate: ['startdate', 'hiredate', 'joindate', 'originalhiredate', 'dateofhire'],
};

/** Column of each field in this file's header; the first alias in ALIASES order wins. */
function columnsOf(header: string[]): Partial<Record<Field, number>> {
  const keys = header.map(headerKey);
  const out: Partial<Record<Field, number>> = {};
  for (const field of Object.keys(ALIASES) as Field[]) {
    for (const alias of ALIASES[field]) {
      const i = keys.indexOf(alias);
      if (i !== -1) {
        out[field] = i;
        break;
      }
    }
  }
  return out;
}

export const connector: Connector = {
  name: 'hr-roster',
  title: 'HR roster (CSV)',
  category: 'ownership',
  produces: 'an employee export from the HR system (Workday, BambooHR, HiBob, Rippling report) saved as CSV',
  detect,
  async *parse(file, options) {
    const table = await readCsv(file);
    const cols = columnsOf(table.header);
    const headerWidth = table.header.length;
    const now = options.now.getTime();
    for await (const rows of table.rows) {
      const items: SourceItem[] = [];
      for (const row of rows) {
        try {
          if (row.fields.length < headerWidth || row.fields.slice(headerWidth).some((f) => f !== '')) {
            throw new RecordError(`row has ${row.fields.length} fields, the header has ${headerWidth}`);
          }
          items.push({ index: row.index, line: row.line, records: employee(row.fields, cols, now) });
        } catch (err) {
          if (!(err instanceof RecordError || err instanceof TimeError)) throw err;
          items.push({ index: row.index, line: row.line, reject: err.message });
        }
      }
      yield items;
    }
  },
};

export function detect(sample: Sample): number {
  const keys = sampleHeader(sample.head);
  if (keys.length < 2) return 0;
  const has = (field: Field) => ALIASES[field].some((a) => keys.includes(a));
  // An ownership map names identities and owners; a roster names people.
  if (keys.includes('owner') || keys.includes('pattern') || keys.includes('identity')) return 0;
  if (!has('employeeId') || !(has('email') || has('name') || has('firstName'))) return 0;
  const extras = (['manager', 'team', 'department', 'status', 'endDate', 'title', 'startDate'] as Field[]).filter(has).length;
  return extras >= 2 ? 0.85 : extras === 1 ? 0.6 : 0;
}

/** The slug of team ids (docs/model.md): lower-case, runs of non-alphanumerics to `-`. */
export function teamSlug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
}

function employee(fields: string[], cols: Partial<Record<Field, number>>, now: number): CanonicalRecord[] {
  const get = (f: Field): string | null => {
    const i = cols[f];
    const v = i === undefined ? undefined : fields[i];
    return v === undefined || v === '' ? null : v;
  };
  const employeeId = get('employeeId');
  if (!employeeId) throw new RecordError('missing employee_id');
  const id = `hr:employee:${employeeId}`;
  const email = get('email');
  const fullName = get('name') ?? ([get('firstName'), get('lastName')].filter(Boolean).join(' ') || null);
  const startDate = hrDate(get('startDate'), 'start_date');
  const endDate = hrDate(get('endDate'), 'end_date');
  const rawStatus = get('status');
  let status = employmentStatus(rawStatus);
  if (endDate !== null && Date.parse(endDate) < now) status = 'terminated';
  const team = get('team');
  const department = get('department');
  const group = team ?? department;
  const manager = get('manager');
  const out: CanonicalRecord[] = [
    rec.identity({
      id, kind: 'human', provider: 'hr', name: fullName ?? email ?? employeeId, email: email?.toLowerCase() ?? null,
      status, createdAt: startDate, origin: 'inventory',
      attributes: known({
        employeeId, team: group, department, manager, title: get('title'), startDate, endDate, employmentStatus: rawStatus,
        // A manager column holds an email or an employee id; the id form is an identity id already.
        managerId: manager && !manager.includes('@') ? `hr:employee:${manager}` : null,
      }),
    }),
  ];
  const slug = group ? teamSlug(group) : '';
  if (group && slug) {
    const teamId = `hr:team:${slug}`;
    out.push(
      rec.identity({ id: teamId, kind: 'group', provider: 'hr', name: group, status: 'active', origin: 'inventory' }),
      rec.edge({ from: id, kind: 'member_of', to: teamId, attributes: { source: 'hr' } }),
    );
  }
  return out;
}

/** Attributes merge key by key in the store: a null here would erase what another source knows. */
function known(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

const TERMINATED = /terminat|separat|former|offboard|resign|dismiss|deceased|retire|^left$|^inactive$|^term(ed)?$|^false$|^no$|^0$/;
const ON_LEAVE = /leave|loa|sabbatical|suspend/;
const ACTIVE = /^(active|employed|current|hired|onboarding|probation|true|yes|1|a)$/;

function employmentStatus(raw: string | null): IdentityStatus {
  if (!raw) return 'unknown';
  const s = raw.trim().toLowerCase();
  if (TERMINATED.test(s)) return 'terminated';
  if (ON_LEAVE.test(s)) return 'inactive';
  if (ACTIVE.test(s)) return 'active';
  return 'unknown';
}

const SLASH_DATE = /^\d{1,2}\/\d{1,2}\/\d{2,4}$/;

/** HR dates are days; `03/04/2024` is day-first in one country and month-first in the next, so it is refused. */
function hrDate(value: string | null, field: string): string | null {
  if (value === null) return null;
  if (SLASH_DATE.test(value)) throw new RecordError(`${field}: "${value}" is ambiguous (expected YYYY-MM-DD)`);
  return toIso(value, field);
}
