import type { CanonicalRecord } from '../../model/index.js';
import { mapSecretScanningAlert } from '../github-secret-scanning/map.js';
import {
  isObj, mapCredentialAuthorization, mapDeployKey, mapGraphqlOrganization, mapInstallation, mapMember, mapPatGrant, mapTeamMember,
  mapWorkflowFile, str, type Context, type Obj,
} from './map.js';

/** One unit of work: a record of the file, mapped when its turn comes (so that a bad one only rejects itself). */
export type Task = () => CanonicalRecord[] | CanonicalRecord[][];

const PATH_PREFIX = /^(?:GET\s+)?(?:https:\/\/api\.github\.com)?/;
const ROUTES: { re: RegExp; kind: string }[] = [
  { re: /^\/orgs\/([^/]+)\/personal-access-tokens\/(\d+)\/repositories/, kind: 'patRepos' },
  { re: /^\/orgs\/([^/]+)\/personal-access-tokens(?:\?|$)/, kind: 'pats' },
  { re: /^\/orgs\/([^/]+)\/credential-authorizations/, kind: 'credentials' },
  { re: /^\/orgs\/([^/]+)\/installations/, kind: 'installations' },
  { re: /^\/orgs\/([^/]+)\/(?:members|outside_collaborators|memberships\/[^/?]+)(?:\?(.*))?$/, kind: 'members' },
  { re: /^\/orgs\/([^/]+)\/teams\/([^/]+)\/members/, kind: 'team' },
  { re: /^\/orgs\/([^/]+)\/actions\/oidc\/customization\/sub/, kind: 'orgSub' },
  { re: /^\/repos\/([^/]+)\/([^/]+)\/actions\/oidc\/customization\/sub/, kind: 'repoSub' },
  { re: /^\/repos\/([^/]+)\/([^/]+)\/keys/, kind: 'keys' },
  { re: /^\/repos\/([^/]+)\/([^/]+)\/contents\//, kind: 'contents' },
  { re: /^\/(?:orgs|repos|enterprises)\/.+\/secret-scanning\/alerts/, kind: 'alerts' },
  { re: /^graphql/i, kind: 'graphql' },
];

export function isBundle(v: unknown): v is Obj {
  if (!isObj(v)) return false;
  const keys = Object.keys(v);
  return keys.length > 0 && keys.every((k) => ROUTES.some((r) => r.re.test(k.replace(PATH_PREFIX, ''))) || /^(?:GET\s+)?\//.test(k));
}

export function newContext(now: Date): Context {
  return { org: null, repo: null, role: null, claimKeys: new Map(), patRepos: new Map(), now };
}

const elements = (v: unknown, wrapper?: string): unknown[] => {
  if (Array.isArray(v)) return v;
  if (wrapper && isObj(v) && Array.isArray(v[wrapper])) return v[wrapper] as unknown[];
  return [v];
};

/**
 * A bundle: `{ "<API path>": <verbatim response>, ... }`, the paths as passed to `gh api`. The path
 * supplies what a response leaves out (the org of a member list, the repository of deploy keys), and
 * claim templates and token repositories are read before the records that need them.
 */
export function bundleTasks(bundle: Obj, now: Date, rawRef: string): Task[] {
  const base = newContext(now);
  const tasks: Task[] = [];
  const entries = Object.entries(bundle).map(([k, v]) => {
    const path = k.replace(PATH_PREFIX, '');
    const route = ROUTES.find((r) => r.re.test(path));
    return { key: k, path, v, kind: route?.kind ?? null, m: route ? route.re.exec(path)! : null };
  });
  // Context first: claim templates and fine-grained token repositories.
  for (const e of entries) {
    if (e.kind === 'repoSub' && isObj(e.v)) base.claimKeys.set(`${e.m![1]}/${e.m![2]}`.toLowerCase(), claimKeysOf(e.v));
    if (e.kind === 'orgSub' && isObj(e.v)) base.claimKeys.set(e.m![1].toLowerCase(), claimKeysOf(e.v));
    if (e.kind === 'patRepos') {
      base.patRepos.set(e.m![2], elements(e.v, 'repositories').map((r) => (isObj(r) ? str(r.full_name) : null)).filter((x): x is string => !!x));
    }
  }
  for (const e of entries) {
    const m = e.m;
    const ctx: Context = { ...base, org: null, repo: null, role: null };
    switch (e.kind) {
      case 'repoSub':
      case 'orgSub':
      case 'patRepos':
        tasks.push(() => []);
        break;
      case 'pats':
        ctx.org = m![1];
        for (const x of elements(e.v)) tasks.push(() => mapPatGrant(obj(x), ctx));
        break;
      case 'credentials':
        ctx.org = m![1];
        for (const x of elements(e.v)) tasks.push(() => mapCredentialAuthorization(obj(x), ctx));
        break;
      case 'installations':
        ctx.org = m![1];
        for (const x of elements(e.v, 'installations')) tasks.push(() => mapInstallation(obj(x), ctx));
        break;
      case 'members': {
        ctx.org = m![1];
        const query = new URLSearchParams(m![2] ?? '');
        ctx.role = e.path.includes('/outside_collaborators') ? 'outside_collaborator' : query.get('role') === 'admin' ? 'admin' : null;
        for (const x of elements(e.v)) tasks.push(() => memberOf(obj(x), ctx));
        break;
      }
      case 'team':
        ctx.org = m![1];
        for (const x of elements(e.v)) tasks.push(() => mapTeamMember(obj(x), ctx, m![2]));
        break;
      case 'keys':
        ctx.repo = `${m![1]}/${m![2]}`;
        for (const x of elements(e.v)) tasks.push(() => mapDeployKey(obj(x), ctx));
        break;
      case 'contents':
        ctx.repo = `${m![1]}/${m![2]}`;
        for (const x of elements(e.v)) tasks.push(() => mapWorkflowFile(obj(x), ctx));
        break;
      case 'alerts':
        elements(e.v).forEach((x, i) => tasks.push(() => mapSecretScanningAlert(obj(x), `${rawRef}:${e.key}#${i}`)));
        break;
      case 'graphql':
        tasks.push(() => graphqlOf(e.v, ctx));
        break;
      default:
        tasks.push(() => {
          throw new Error(`"${e.key}": not an API path this connector reads`);
        });
    }
  }
  return tasks;
}

/** A record of a single API response saved on its own: what it is, told by its fields. */
export function recordTask(v: unknown, ctx: Context): Task {
  return () => {
    const o = obj(v);
    if (isObj(o.data) && isObj(o.data.organization)) return graphqlOf(o, ctx);
    if (str(o.app_slug)) return mapInstallation(o, ctx);
    if (o.token_id !== undefined && isObj(o.owner)) return mapPatGrant(o, ctx);
    if (o.credential_id !== undefined && o.credential_type !== undefined) return mapCredentialAuthorization(o, ctx);
    if (typeof o.key === 'string' && (o.read_only !== undefined || o.verified !== undefined)) return mapDeployKey(o, ctx);
    if (typeof o.path === 'string' && o.path.startsWith('.github/workflows/')) return mapWorkflowFile(o, ctx);
    if (o.secret_type !== undefined) return mapSecretScanningAlert(o, 'github');
    return memberOf(o, ctx);
  };
}

function memberOf(o: Obj, ctx: Context): CanonicalRecord[] {
  // A membership (`/orgs/{org}/memberships/{user}`) wraps the user and names the org and role.
  if (isObj(o.user) && isObj(o.organization)) return mapMember(o.user, ctx, { org: str(o.organization.login), role: str(o.role) });
  // A GraphQL member edge: the user under `node`, the role beside it.
  if (isObj(o.node)) return mapMember(o.node, ctx, { role: str(o.role) ?? str(o.organizationRole), twoFactor: typeof o.hasTwoFactorEnabled === 'boolean' ? o.hasTwoFactorEnabled : null });
  if (!str(o.login)) throw new Error('not a GitHub inventory record (expected a member, installation, token, credential authorization, deploy key or workflow file)');
  return mapMember(o, ctx);
}

function graphqlOf(v: unknown, ctx: Context): CanonicalRecord[][] {
  const o = obj(v);
  const org = isObj(o.data) && isObj(o.data.organization) ? o.data.organization : null;
  if (!org) throw new Error('missing data.organization');
  return mapGraphqlOrganization(org, ctx);
}

function claimKeysOf(v: Obj): string[] {
  if (v.use_default === true || !Array.isArray(v.include_claim_keys)) return ['repo', 'context'];
  return v.include_claim_keys.filter((k): k is string => typeof k === 'string');
}

function obj(v: unknown): Obj {
  if (!isObj(v)) throw new Error(`expected an object, found ${Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v}`);
  return v;
}
