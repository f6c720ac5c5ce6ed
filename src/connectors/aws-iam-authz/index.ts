import { actionCatalog } from '../../lib/aws/privilege.js';
import type { CanonicalRecord } from '../../model/index.js';
import type { Connector, SourceItem } from '../contract.js';
import { readJsonRecords } from '../shared/json-records.js';
import { AuthzIndex, buildPolicy, buildPrincipal } from './build.js';
import { prepare, type Prepared } from './prepare.js';

const LISTS = ['UserDetailList', 'GroupDetailList', 'RoleDetailList', 'Policies'] as const;
const BATCH = 1000;

interface Entry {
  index: number;
  line: number;
  prepared?: Prepared;
  reject?: string;
}

/**
 * `aws iam get-account-authorization-details`: users, groups, roles (with trust policies and instance
 * profiles) and managed policies of one account, as identities, trust and membership edges, policies
 * and one entitlement per statement per identity (inherited through groups and boundaries included).
 *
 * The file is an inventory, not a log: a user's permissions depend on groups and policies listed after
 * it, so every entry is read and checked first (streamed, so a truncated file fails before anything is
 * emitted) and the records are built in a second pass.
 */
export const connector: Connector = {
  name: 'aws-iam-authz',
  title: 'AWS IAM authorization details',
  category: 'inventory',
  produces: 'aws iam get-account-authorization-details --output json',

  detect(sample) {
    const head = sample.head;
    if (!head.trimStart().startsWith('{')) return 0;
    const lists = LISTS.filter((k) => head.includes(`"${k}"`)).length;
    if (lists >= 2 || head.includes('"UserDetailList"') || head.includes('"RoleDetailList"') || head.includes('"GroupDetailList"')) return 0.95;
    if (head.includes('"Policies"') && head.includes('"PolicyVersionList"')) return 0.6;
    return 0;
  },

  async *parse(file) {
    const entries: Entry[] = [];
    for await (const batch of readJsonRecords(file, LISTS)) {
      for (const r of batch) {
        if (r.error !== undefined) {
          entries.push({ index: r.index, line: r.line, reject: r.error });
          continue;
        }
        try {
          entries.push({ index: r.index, line: r.line, prepared: prepare(r.value) });
        } catch (err) {
          entries.push({ index: r.index, line: r.line, reject: (err as Error).message });
        }
      }
    }
    const index = new AuthzIndex(actionCatalog);
    const prepared = entries.flatMap((e) => (e.prepared ? [e.prepared] : []));
    for (const p of prepared) index.add(p);
    await actionCatalog.ensureServices(index.services(prepared));

    let items: SourceItem[] = [];
    for (const e of entries) {
      items.push(buildItem(index, e));
      if (items.length >= BATCH) {
        yield items;
        items = [];
      }
    }
    if (items.length) yield items;
  },
};

function buildItem(index: AuthzIndex, e: Entry): SourceItem {
  if (!e.prepared) return { index: e.index, line: e.line, reject: e.reject };
  const p = e.prepared;
  try {
    const records: CanonicalRecord[] = p.kind === 'policy' ? buildPolicy(p) : buildPrincipal(index, p);
    return { index: e.index, line: e.line, records };
  } catch (err) {
    return { index: e.index, line: e.line, reject: (err as Error).message };
  }
}
