import { parse as parseYaml } from 'yaml';
import type { IdentityKind, Provider } from '../../model/index.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** A cloud identity a workflow asks for with its Actions OIDC token. */
export interface OidcTrust {
  to: string;
  toKind: IdentityKind;
  toProvider: Provider;
  toName: string;
  toEmail: string | null;
  job: string;
  action: string;
  /** The `sub` claims the job's token can carry (GitHub's format; `*` where the workflow allows any value). */
  subs: string[];
  audience: string | null;
  environment: string | null;
  via: string | null;
}

const DEFAULT_CLAIM_KEYS = ['repo', 'context'];
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/;
const EXPRESSION = /\$\{\{/;

/**
 * The cloud identities a workflow file federates to through Actions OIDC: steps of
 * aws-actions/configure-aws-credentials (role-to-assume), google-github-actions/auth
 * (service_account / workload_identity_provider) and azure/login (client-id), in jobs that may
 * request an id-token (`permissions: id-token: write`). Values written as `${{ ... }}` expressions
 * cannot be resolved from the file and are left out.
 */
export function oidcTrustsOf(yamlText: string, repo: string, claimKeys: readonly string[] | null): OidcTrust[] {
  const doc = parseYaml(yamlText, { uniqueKeys: false });
  if (!isObj(doc)) throw new Error('workflow file is not a YAML mapping');
  const jobs = isObj(doc.jobs) ? doc.jobs : {};
  const wfIdToken = canWriteIdToken(doc.permissions);
  const triggers = doc.on ?? doc.true; // YAML 1.1 reads a bare `on:` key as true
  const out: OidcTrust[] = [];
  for (const [jobName, job] of Object.entries(jobs)) {
    if (!isObj(job)) continue;
    const idToken = job.permissions !== undefined ? canWriteIdToken(job.permissions) : wfIdToken;
    if (!idToken) continue;
    const environment = isObj(job.environment) ? str(job.environment.name) : str(job.environment);
    const subs = subsOf(repo, claimKeys ?? DEFAULT_CLAIM_KEYS, environment, triggers, str(doc.name));
    const steps = Array.isArray(job.steps) ? job.steps.filter(isObj) : [];
    for (const step of steps) {
      const uses = str(step.uses);
      if (!uses) continue;
      const w = isObj(step.with) ? step.with : {};
      const literal = (k: string) => {
        const v = str(w[k]);
        return v && !EXPRESSION.test(v) ? v.trim() : null;
      };
      const base = { job: jobName, action: uses, subs, environment };
      if (uses.startsWith('aws-actions/configure-aws-credentials')) {
        const role = literal('role-to-assume');
        if (role && ROLE_ARN.test(role)) {
          out.push({ ...base, to: role, toKind: 'role', toProvider: 'aws', toName: role.slice(role.lastIndexOf('/') + 1), toEmail: null, audience: literal('audience') ?? 'sts.amazonaws.com', via: 'token.actions.githubusercontent.com' });
        }
      } else if (uses.startsWith('google-github-actions/auth')) {
        const sa = literal('service_account');
        const provider = literal('workload_identity_provider');
        if (sa && sa.includes('@')) {
          out.push({ ...base, to: `gcp:sa:${sa.toLowerCase()}`, toKind: 'service_account', toProvider: 'gcp', toName: sa.split('@')[0], toEmail: sa.toLowerCase(), audience: literal('audience'), via: provider });
        } else if (provider) {
          // Direct workload identity federation: the workflow's principal is granted roles itself.
          out.push({ ...base, to: `gcp:wif-provider:${provider.replace(/^\/\/iam\.googleapis\.com\//, '')}`, toKind: 'oauth_app', toProvider: 'gcp', toName: provider.slice(provider.lastIndexOf('/') + 1), toEmail: null, audience: literal('audience'), via: provider });
        }
      } else if (uses.startsWith('azure/login')) {
        const client = literal('client-id');
        if (client) {
          out.push({ ...base, to: `entra:app:${client.toLowerCase()}`, toKind: 'oauth_app', toProvider: 'entra', toName: client, toEmail: null, audience: literal('audience') ?? 'api://AzureADTokenExchange', via: literal('tenant-id') });
        }
      }
    }
  }
  return out;
}

function canWriteIdToken(p: unknown): boolean {
  if (p === 'write-all') return true;
  return isObj(p) && p['id-token'] === 'write';
}

/**
 * The `sub` values a job's token can carry, from the repository's claim template (default
 * `repo` + `context`): with an environment the context is `environment:<name>`, otherwise it follows
 * the triggers (`pull_request`, `ref:refs/heads/<branch>`, `ref:refs/tags/<tag>`, `ref:*`).
 */
export function subsOf(repo: string, claimKeys: readonly string[], environment: string | null, triggers: unknown, workflowName: string | null): string[] {
  const contexts = environment ? [`environment:${environment}`] : contextsOf(triggers);
  const subs = new Set<string>();
  for (const context of contexts) {
    const parts = claimKeys.map((k) => {
      switch (k) {
        case 'repo': return `repo:${repo}`;
        case 'context': return context;
        case 'repository_owner': return `repository_owner:${repo.split('/')[0]}`;
        case 'environment': return `environment:${environment ?? '*'}`;
        case 'workflow': return `workflow:${workflowName ?? '*'}`;
        default: return `${k}:*`;
      }
    });
    subs.add(parts.join(':'));
  }
  return [...subs];
}

function contextsOf(triggers: unknown): string[] {
  const events: Record<string, unknown> = {};
  if (typeof triggers === 'string') {
    events[triggers] = null;
  } else if (Array.isArray(triggers)) {
    for (const t of triggers) if (typeof t === 'string') events[t] = null;
  } else if (isObj(triggers)) {
    Object.assign(events, triggers);
  }
  const out = new Set<string>();
  for (const [name, cfg] of Object.entries(events)) {
    if (name === 'pull_request' || name === 'pull_request_target') out.add('pull_request');
    else if (name === 'push' && isObj(cfg) && (Array.isArray(cfg.branches) || Array.isArray(cfg.tags))) {
      for (const b of Array.isArray(cfg.branches) ? cfg.branches : []) if (typeof b === 'string') out.add(`ref:refs/heads/${b}`);
      for (const t of Array.isArray(cfg.tags) ? cfg.tags : []) if (typeof t === 'string') out.add(`ref:refs/tags/${t}`);
    } else if (name === 'push') out.add('ref:refs/heads/*');
    else out.add('ref:*');
  }
  return out.size ? [...out] : ['ref:*'];
}
