import { RecordError } from '../../lib/errors.js';
import type { Connector, Sample, SourceItem } from '../contract.js';
import { readJsonRecords } from '../shared/json-records.js';
import { expandListing } from '../openai-admin/listing.js';
import { obj, str } from '../openai-admin/records.js';
import { permissionSetOfRole } from './ids.js';
import { icRecords, kindOf, type IcContext } from './records.js';

type Obj = Record<string, unknown>;

/**
 * AWS IAM Identity Center: the outputs of `aws identitystore list-users / list-groups /
 * list-group-memberships` and `aws sso-admin list-instances / describe-permission-set /
 * list-account-assignments`, one per file or bundled. `list-permission-sets` (ARNs only) is accepted
 * and adds nothing: describe-permission-set names them.
 */
export const connector: Connector = {
  name: 'aws-identity-center',
  title: 'AWS IAM Identity Center (users, groups, permission sets, assignments)',
  category: 'inventory',
  produces:
    'aws identitystore list-users | list-groups | list-group-memberships --identity-store-id ID; ' +
    'aws sso-admin list-instances | describe-permission-set | list-account-assignments --instance-arn ARN',
  detect,
  async *parse(file) {
    let index = 0;
    for await (const batch of readJsonRecords(file, ['Users', 'Groups', 'GroupMemberships', 'AccountAssignments', 'Instances'])) {
      const items: SourceItem[] = [];
      for (const r of batch) {
        if (r.error !== undefined) {
          items.push({ index: index++, line: r.line, reject: r.error });
          continue;
        }
        const value = obj(r.value)?.PermissionSet ?? r.value;
        if (Array.isArray(obj(value)?.PermissionSets)) {
          // `list-permission-sets`: ARNs alone. Each is acknowledged; describe-permission-set names it.
          for (const _ of obj(value)!.PermissionSets as unknown[]) items.push({ index: index++, line: r.line, records: [] });
          continue;
        }
        const listed = expandListing(value, (v) => kindOf(v) !== null);
        const ctx = contextOf(listed.map((l) => l.value), `${file.path}#${r.index}`);
        for (const l of listed) {
          const i = index++;
          try {
            const v = obj(l.value);
            const kind = v ? kindOf(v) : null;
            if (!v || !kind) throw new RecordError('not an Identity Center object (expected a user, group, membership, permission set or account assignment)');
            items.push({ index: i, line: r.line, records: icRecords(v, kind, ctx) });
          } catch (err) {
            items.push({ index: i, line: r.line, reject: err instanceof RecordError ? err.message : `internal error: ${(err as Error).message}` });
          }
        }
      }
      if (items.length) yield items;
    }
  },
};

/** Permission set names and reserved roles the same record lists, for assignments beside them. */
function contextOf(values: unknown[], ref: string): IcContext {
  const ctx: IcContext = { permissionSetNames: new Map(), reservedRoles: new Map(), ref };
  for (const x of values) {
    const v = obj(x);
    if (!v) continue;
    if (kindOf(v) === 'permissionSet') ctx.permissionSetNames.set(v.PermissionSetArn as string, v.Name as string);
    if (kindOf(v) === 'role') {
      const ps = permissionSetOfRole(String(v.RoleName));
      const account = /^arn:[^:]+:iam::(\d{12}):/.exec(String(v.Arn))?.[1] ?? str(v.AccountId);
      if (ps && account) ctx.reservedRoles.set(`${account}/${ps}`, v.Arn as string);
    }
  }
  return ctx;
}

export function detect(sample: Sample): number {
  const head = sample.head;
  if (/"(IdentityStoreId|PermissionSetArn|GroupMemberships|AccountAssignments)"\s*:/.test(head)) return 0.9;
  if (/"PermissionSets"\s*:\s*\[\s*"arn:aws[a-z-]*:sso:::permissionSet\//.test(head)) return 0.9;
  return 0;
}

export type { Obj };
