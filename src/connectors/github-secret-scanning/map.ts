import { rec } from '../contract.js';
import { fingerprint } from '../../lib/secrets.js';
import { toIso } from '../../lib/time.js';
import type { CanonicalRecord, Severity } from '../../model/index.js';
import { githubIds, repoFromUrl } from '../github-common/ids.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** Secret types whose "secret" is an identifier the copilot already knows by id (an AWS access key id). */
const AWS_KEY_ID = /^(?:AKIA|ASIA)[A-Z0-9]{16}$/;

/**
 * One secret scanning alert as an alert. The leaked value is never kept: only its type and
 * fingerprint, so that the same secret found twice matches. When the value is itself an id (an AWS
 * access key id, found with its secret key), the alert names that credential.
 */
export function mapSecretScanningAlert(a: Obj, rawRef: string): CanonicalRecord[] {
  const number = a.number;
  if (typeof number !== 'number' && typeof number !== 'string') throw new Error('missing number');
  const repoObj = isObj(a.repository) ? a.repository : null;
  const repo = (repoObj ? str(repoObj.full_name) : null) ?? repoFromUrl(str(a.url)) ?? repoFromUrl(str(a.html_url));
  if (!repo) throw new Error('missing repository.full_name');
  const time = toIso(a.created_at, 'created_at');
  if (!time) throw new Error('missing created_at');
  const secretType = str(a.secret_type) ?? 'unknown';
  const displayName = str(a.secret_type_display_name) ?? secretType;
  const secret = str(a.secret);
  const state = str(a.state) ?? 'open';
  const validity = str(a.validity) ?? 'unknown';
  const publiclyLeaked = a.publicly_leaked === true;
  const bypassedBy = isObj(a.push_protection_bypassed_by) ? str(a.push_protection_bypassed_by.login) : null;
  const resolvedBy = isObj(a.resolved_by) ? str(a.resolved_by.login) : null;

  const identities: string[] = [];
  const out: CanonicalRecord[] = [];
  if (bypassedBy) {
    // Whoever pushed past push protection is the identity the alert is about.
    const id = githubIds.user(bypassedBy);
    identities.push(id);
    out.push(rec.identity({ id, kind: 'human', provider: 'github', name: bypassedBy, origin: 'log', attributes: { login: bypassedBy } }));
  }
  const credentials: string[] = [];
  const firstLine = secret?.split('\n')[0].trim() ?? '';
  if (secretType.startsWith('aws_') && AWS_KEY_ID.test(firstLine)) credentials.push(`aws:access-key:${firstLine}`);

  out.push(rec.alert({
    id: `github-secret-scanning:${repo.toLowerCase()}/${number}`, time, source: 'github-secret-scanning',
    severity: severityOf(state, validity, publiclyLeaked), title: `${displayName} leaked in ${repo}`,
    description: `GitHub secret scanning found a ${displayName} in ${repo} (alert #${number}, ${state}${state === 'resolved' ? `: ${str(a.resolution) ?? 'resolved'}` : ''}, validity ${validity})${bypassedBy ? `; push protection was bypassed by ${bypassedBy}` : ''}.`,
    rule: `secret_scanning:${secretType}`, identities, credentials,
    entities: { repository: [repo], secretType: [secretType], ...(str(a.html_url) ? { url: [str(a.html_url)!] } : {}) },
    mitre: ['T1552.001'], confidence: validity === 'active' ? 0.95 : 0.8, rawRef,
    detail: {
      secretType, secretTypeDisplayName: displayName, secretFingerprint: secret ? fingerprint(secret) : null, state,
      resolution: str(a.resolution), resolvedAt: toIso(a.resolved_at, 'resolved_at'), resolvedBy, validity, publiclyLeaked,
      multiRepo: a.multi_repo === true, pushProtectionBypassed: a.push_protection_bypassed === true, pushProtectionBypassedBy: bypassedBy,
      repository: githubIds.repo(repo),
    },
  }));
  return out;
}

function severityOf(state: string, validity: string, publiclyLeaked: boolean): Severity {
  if (state === 'resolved') return 'low';
  if (validity === 'active' || publiclyLeaked) return 'critical';
  if (validity === 'inactive') return 'medium';
  return 'high';
}
