import { nameTokens, normaliseTagKey } from '../../lib/aws/tags.js';

export interface UserKind {
  kind: 'human' | 'service_account';
  /** What decided it: `tag:<key>`, `name:<reason>`, or `default`; kept in attributes.kindSource. */
  source: string;
}

const KIND_TAG_KEYS = new Set(['type', 'identitytype', 'kind', 'principaltype', 'usertype', 'accounttype', 'identitykind']);
const HUMAN_VALUES = new Set(['human', 'person', 'user', 'employee', 'people', 'individual', 'contractor', 'humanuser']);
const MACHINE_VALUES = new Set([
  'service', 'svc', 'serviceaccount', 'machine', 'bot', 'automation', 'system', 'application', 'app', 'nhi',
  'workload', 'ci', 'nonhuman', 'machineuser', 'technical', 'technicaluser',
]);
/** Name words that mark automation. Whole words only: `application` is not `app`, `cindy` is not `ci`. */
const MACHINE_WORDS = new Set([
  'svc', 'service', 'services', 'bot', 'robot', 'ci', 'cd', 'cicd', 'deploy', 'deployer', 'deployment', 'automation',
  'automated', 'integration', 'integrations', 'app', 'api', 'sa', 'system', 'sys', 'daemon', 'worker', 'job', 'jobs',
  'cron', 'etl', 'pipeline', 'runner', 'jenkins', 'terraform', 'tf', 'github', 'gitlab', 'circleci', 'travis',
  'bitbucket', 'ansible', 'packer', 'backup', 'monitor', 'monitoring', 'datadog', 'splunk', 'sync', 'scanner',
  'lambda', 'k8s', 'eks', 'noreply', 'token', 'machine', 'nhi', 'agent', 'ingest', 'exporter', 'serviceaccount',
  'actions', 'argo', 'argocd', 'flux', 'airflow', 'batch', 'build', 'builder', 'release', 'svcacct',
]);
const EMAIL = /^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$/;
const FIRST_LAST = /^[A-Za-z][A-Za-z'-]*\.[A-Za-z][A-Za-z'-]*$/;

/**
 * Whether an IAM user is a person or automation. A tag that says so wins; then machine words in the
 * name (checked first, so that `ci-bot@corp.com` is automation), then an email or first.last name;
 * anything else is assumed to be a person, since IAM gives no better signal and the credential report
 * (password, no active key) can say more later.
 */
export function userKind(name: string, tags: Record<string, string>): UserKind {
  for (const [key, value] of Object.entries(tags)) {
    if (!KIND_TAG_KEYS.has(normaliseTagKey(key))) continue;
    const v = normaliseTagKey(value);
    if (HUMAN_VALUES.has(v)) return { kind: 'human', source: `tag:${key}` };
    if (MACHINE_VALUES.has(v)) return { kind: 'service_account', source: `tag:${key}` };
  }
  const local = name.includes('@') ? name.slice(0, name.indexOf('@')) : name;
  for (const token of nameTokens(local)) {
    if (MACHINE_WORDS.has(token) || token.startsWith('svc')) return { kind: 'service_account', source: `name:${token}` };
  }
  if (EMAIL.test(name)) return { kind: 'human', source: 'name:email' };
  if (FIRST_LAST.test(name)) return { kind: 'human', source: 'name:first.last' };
  return { kind: 'human', source: 'default' };
}
