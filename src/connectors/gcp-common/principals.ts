import type { IdentityKind, Provider } from '../../model/index.js';
import { principalOf as k8sPrincipal } from '../k8s-common/ids.js';
import { githubIds } from '../github-common/ids.js';

/** A principal as GCP writes it (an email, an IAM member, a principal:// URI), resolved to an identity. */
export interface GcpPrincipal {
  id: string;
  kind: IdentityKind;
  provider: Provider;
  name: string;
  email: string | null;
  account: string | null;
  attributes: Record<string, unknown>;
}

const SA_DOMAIN = /@([a-z0-9-]+)\.iam\.gserviceaccount\.com$/;
/** Google-managed service agents and default accounts: not created by the customer. */
const GOOGLE_MANAGED = /@(?:[a-z0-9-]+\.)*(?:gserviceaccount\.com|cloudservices\.gserviceaccount\.com)$/;
const GKE_KSA = /^([a-z0-9-]+)\.svc\.id\.goog\[([^/\]]+)\/([^\]]+)\]$/;
const WIF_SUBJECT = /^\/\/iam\.googleapis\.com\/projects\/(\d+)\/locations\/global\/workloadIdentityPools\/([^/]+)\/subject\/(.+)$/;
const WIF_SET = /^\/\/iam\.googleapis\.com\/projects\/(\d+)\/locations\/global\/workloadIdentityPools\/([^/]+)\/(.+)$/;
const WORKFORCE = /^\/\/iam\.googleapis\.com\/locations\/global\/workforcePools\/([^/]+)\/(.+)$/;
/** GitHub's OIDC subject: `repo:<owner>/<repo>:<context>`. */
const GITHUB_SUB = /^repo:([^/:]+\/[^:]+):/;
const GKE_SUBJECT = /^ns\/([^/]+)\/sa\/([^/]+)$/;

export const gcpIds = {
  serviceAccount: (email: string) => `gcp:sa:${email.toLowerCase()}`,
  user: (email: string) => `gcp:user:${email.toLowerCase()}`,
  group: (email: string) => `gcp:group:${email.toLowerCase()}`,
  key: (name: string) => `gcp:sa-key:${name}`,
  /** A GKE Kubernetes service account as the workload pool names it (cluster-independent). */
  gkeKsa: (project: string, ns: string, name: string) => `gcp:gke-ksa:${project}/${ns}/${name}`,
  policy: (resource: string) => `gcp:iam-policy:${resource}`,
};

export function isServiceAccountEmail(email: string): boolean {
  return email.endsWith('.gserviceaccount.com');
}

/** An email as the identity it names: service accounts by their domain, everyone else as a user. */
export function principalFromEmail(email: string): GcpPrincipal {
  const e = email.trim().toLowerCase();
  if (isServiceAccountEmail(e)) {
    const project = SA_DOMAIN.exec(e)?.[1] ?? null;
    return {
      id: gcpIds.serviceAccount(e), kind: 'service_account', provider: 'gcp', name: e.split('@')[0], email: e, account: project,
      attributes: { googleManaged: !SA_DOMAIN.test(e) && GOOGLE_MANAGED.test(e) },
    };
  }
  return { id: gcpIds.user(e), kind: 'human', provider: 'gcp', name: e, email: e, account: null, attributes: {} };
}

/**
 * An IAM policy member (`user:`, `serviceAccount:`, `group:`, `domain:`, `allUsers`, `principal://`,
 * `principalSet://`, `deleted:...`) as an identity. GitHub Actions subjects in workload identity pools
 * map to the GitHub ids (`github:workflow:<owner>/<repo>` when the repository is known), GKE workload
 * identity members to `gcp:gke-ksa:<project>/<ns>/<ksa>`. Returns null for a member it cannot read.
 */
export function principalFromMember(member: string, githubPools: ReadonlySet<string> = new Set()): GcpPrincipal | null {
  const m = member.trim();
  if (m === 'allUsers' || m === 'allAuthenticatedUsers') {
    return { id: `gcp:principal:${m}`, kind: 'group', provider: 'gcp', name: m, email: null, account: null, attributes: { public: true } };
  }
  const colon = m.indexOf(':');
  if (colon === -1) return null;
  const type = m.slice(0, colon);
  let value = m.slice(colon + 1);
  if (type === 'deleted') {
    const p = principalFromMember(value.replace(/\?uid=\d+$/, ''), githubPools);
    return p ? { ...p, attributes: { ...p.attributes, deleted: true } } : null;
  }
  switch (type) {
    case 'user':
      return { ...principalFromEmail(value), kind: 'human', id: gcpIds.user(value) };
    case 'serviceAccount': {
      const ksa = GKE_KSA.exec(value);
      if (ksa) return gkeKsa(ksa[1], ksa[2], ksa[3]);
      return principalFromEmail(value);
    }
    case 'group':
      return { id: gcpIds.group(value), kind: 'group', provider: 'gcp', name: value.toLowerCase(), email: value.toLowerCase(), account: null, attributes: {} };
    case 'domain':
      return { id: `gcp:domain:${value.toLowerCase()}`, kind: 'group', provider: 'gcp', name: value.toLowerCase(), email: null, account: null, attributes: { domain: true } };
    case 'projectOwner':
    case 'projectEditor':
    case 'projectViewer':
      return { id: `gcp:principal:${type}:${value}`, kind: 'group', provider: 'gcp', name: `${type}:${value}`, email: null, account: value, attributes: { convenience: true } };
    case 'principal':
    case 'principalSet':
      value = m.slice(m.indexOf('//'));
      return federatedPrincipal(type, value, githubPools);
    default:
      return null;
  }
}

function gkeKsa(project: string, ns: string, name: string): GcpPrincipal {
  return {
    id: gcpIds.gkeKsa(project, ns, name), kind: 'workload', provider: 'gcp', name: `${ns}/${name}`, email: null, account: project,
    attributes: { workloadPool: `${project}.svc.id.goog`, namespace: ns, kubernetesServiceAccount: name, kubernetesUsername: `system:serviceaccount:${ns}:${name}` },
  };
}

function federatedPrincipal(type: string, uri: string, githubPools: ReadonlySet<string>): GcpPrincipal {
  const subject = WIF_SUBJECT.exec(uri);
  if (type === 'principal' && subject) {
    const [, projectNumber, pool, sub] = subject;
    const gh = GITHUB_SUB.exec(sub);
    if (gh) {
      return { ...githubWorkflow(gh[1]), attributes: { pool, projectNumber, sub } };
    }
    const gke = pool.endsWith('.svc.id.goog') ? GKE_SUBJECT.exec(sub) : null;
    if (gke) return gkeKsa(pool.slice(0, -'.svc.id.goog'.length), gke[1], gke[2]);
    return { id: `gcp:wif:${pool}/subject/${sub}`, kind: 'workload', provider: 'gcp', name: sub, email: null, account: projectNumber, attributes: { pool, projectNumber, sub, github: githubPools.has(pool) } };
  }
  const set = WIF_SET.exec(uri);
  if (set) {
    const [, projectNumber, pool, rest] = set;
    const repo = /^attribute\.repository\/(.+)$/.exec(rest);
    if (repo) return { ...githubWorkflow(repo[1]), attributes: { pool, projectNumber, attribute: 'repository' } };
    const owner = /^attribute\.repository_owner\/(.+)$/.exec(rest);
    if (owner) {
      const id = githubIds.oidc(`repo:${owner[1].toLowerCase()}/*`);
      return { id, kind: 'group', provider: 'github', name: `repo:${owner[1]}/*`, email: null, account: owner[1].toLowerCase(), attributes: { pool, projectNumber, attribute: 'repository_owner' } };
    }
    return { id: `gcp:wif:${pool}/${rest}`, kind: 'group', provider: 'gcp', name: rest, email: null, account: projectNumber, attributes: { pool, projectNumber, github: githubPools.has(pool) } };
  }
  const wf = WORKFORCE.exec(uri);
  if (wf) {
    const [, pool, rest] = wf;
    const human = rest.startsWith('subject/');
    return { id: `gcp:workforce:${pool}/${rest}`, kind: human ? 'human' : 'group', provider: 'gcp', name: human ? rest.slice('subject/'.length) : rest, email: null, account: null, attributes: { workforcePool: pool } };
  }
  return { id: `gcp:principal:${uri}`, kind: 'workload', provider: 'gcp', name: uri, email: null, account: null, attributes: {} };
}

function githubWorkflow(repo: string): GcpPrincipal {
  const r = repo.toLowerCase();
  return { id: githubIds.workflow(r), kind: 'workload', provider: 'github', name: r, email: null, account: r.split('/')[0], attributes: {} };
}

/**
 * The principal of an audit-log entry: principalEmail, else principalSubject (`user:...`,
 * `serviceAccount:...`, `principal://...`). Kubernetes usernames in GKE audit logs
 * (`system:serviceaccount:ns:name`) become Kubernetes identities of the log's cluster.
 */
export function principalFromAudit(email: string | null, subject: string | null, cluster: string | null): GcpPrincipal | null {
  if (email) {
    if (email.startsWith('system:') && cluster) {
      const p = k8sPrincipal(cluster, email);
      return { id: p.id, kind: p.kind, provider: 'k8s', name: p.name, email: null, account: cluster, attributes: { cluster, username: email } };
    }
    return principalFromEmail(email);
  }
  if (!subject) return null;
  const member = principalFromMember(subject);
  if (member) return member;
  return { id: `gcp:principal:${subject}`, kind: 'workload', provider: 'gcp', name: subject, email: null, account: null, attributes: { principalSubject: subject } };
}

