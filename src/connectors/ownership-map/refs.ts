import type { OwnerClaim } from '../../model/index.js';

/**
 * What kind of reference an owner cell holds, by its shape. The ownership engine resolves each kind
 * differently (src/engines/ownership.ts): an email to the person's HR record, an employee id to
 * `hr:employee:<id>`, a username to a person by name or mailbox, an identity id directly, a team
 * name to `hr:team:<slug>`.
 */
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
/** E1234, 004512, EMP-0042: digits, optionally after a short letter prefix. */
const EMPLOYEE_ID = /^(?:[A-Za-z]{1,4}[-_]?)?\d{2,}$/;
/** arn:..., okta:user:00u1, k8s:serviceaccount:c/ns/n, hr:employee:42: an id with a scheme, no spaces. */
const IDENTITY_ID = /^[a-z][a-z0-9-]*:\S+$/;

export function ownerRef(value: string): { ref: string; refType: OwnerClaim['refType'] } {
  const v = value.trim();
  const team = /^(?:hr:)?team:(.+)$/.exec(v);
  if (team) return { ref: team[1].trim(), refType: 'team' };
  if (EMAIL.test(v)) return { ref: v.toLowerCase(), refType: 'email' };
  if (IDENTITY_ID.test(v)) return { ref: v, refType: 'identity' };
  if (EMPLOYEE_ID.test(v)) return { ref: v, refType: 'employee_id' };
  return { ref: v, refType: 'username' };
}
