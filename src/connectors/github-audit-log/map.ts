import { rec } from '../contract.js';
import { classifySource } from '../../lib/network.js';
import { redactIfNeeded, shortHash } from '../../lib/secrets.js';
import { toIso } from '../../lib/time.js';
import type { CanonicalRecord, EventChain, EventInput } from '../../model/index.js';
import { actorOf, githubIds } from '../github-common/ids.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null);

/** When the event happened: the audit log API's `@timestamp` (Panther stores it as `at_sign_timestamp`). */
const TIME_FIELDS = ['@timestamp', 'at_sign_timestamp', 'created_at', 'p_event_time'] as const;
/** Actions about a person or app rather than a repository: the affected `user` is the target. */
const USER_TARGET = /^(?:org|repo|team|business|organization_moderators|enterprise)\.(?:add_member|remove_member|update_member|invite_member|invite_user|add_user|remove_user|promote|demote|remove_outside_collaborator|add_outside_collaborator|update_member_repository_permission|block_user|unblock_user|add_admin|remove_admin|convert_member_to_outside_collaborator)|^(?:organization_moderators)\./;
const ORG_SETTING = /^(?:org|ip_allow_list|ip_allow_list_entry|org_credential_authorization|oauth_application|organization_default_label|members_can_create_pages|org_secret_scanning_custom_pattern)\./;
const BUSINESS_SETTING = /^(?:business|enterprise|business_[a-z_]+)\./;
/** Fields that become event columns or say nothing a detection needs. */
const MAPPED = new Set([
  '@timestamp', 'at_sign_timestamp', 'created_at', '_document_id', 'action', 'actor', 'actor_ip', 'user_agent', 'org', 'business', 'repo', 'repository',
]);
const PAT_TYPES = /personal.access.token|fine.grained/i;

/**
 * One GitHub audit-log event (org or enterprise audit-log API, or audit-log streaming) as an event.
 * The actor is a user (`github:user:<login>`) or, for `<slug>[bot]`, the GitHub App; the token it used
 * goes to chain.credentialId when it is a personal access token, the SAML identity behind the
 * account to chain.sourceIdentity.
 */
export function mapAuditEvent(e: Obj, rawRef: string): CanonicalRecord[] {
  const action = str(e.action);
  if (!action) throw new Error('missing action');
  const login = str(e.actor);
  if (!login) throw new Error('missing actor');
  const timeField = TIME_FIELDS.find((f) => e[f] !== undefined && e[f] !== null && e[f] !== '');
  if (!timeField) throw new Error('missing @timestamp (or created_at)');
  const time = toIso(e[timeField], timeField)!;

  const actor = actorOf(login, e.actor_is_bot === true);
  const org = str(e.org);
  const business = str(e.business);
  const repo = str(e.repo) ?? str(e.repository);
  const out: CanonicalRecord[] = [];
  const samlId = str(e.external_identity_nameid);
  out.push(rec.identity({
    id: actor.id, kind: actor.kind, provider: 'github', name: actor.name, account: org ? org.toLowerCase() : null, lastSeenAt: time, origin: 'log',
    email: samlId && samlId.includes('@') ? samlId.toLowerCase() : null,
    attributes: { login, ...(str(e.actor_id) ? { githubId: str(e.actor_id) } : {}), ...(samlId ? { samlNameId: samlId } : {}) },
  }));

  const chain: Partial<EventChain> = {};
  const accessType = str(e.programmatic_access_type);
  const tokenId = str(e.token_id);
  if (tokenId) chain.credentialId = accessType && PAT_TYPES.test(accessType) ? githubIds.pat(tokenId) : githubIds.token(tokenId);
  if (samlId) {
    chain.sourceIdentity = samlId;
    chain.federatedProvider = 'saml';
  }

  const user = str(e.user);
  const data = isObj(e.data) ? e.data : null;
  const team = str(e.team) ?? (data ? str(data.team) : null);
  const hookId = str(e.hook_id) ?? (data ? str(data.hook_id) : null);
  const target = targetOf(action, { user, repo, team, hookId, org, business, name: str(e.integration) ?? str(e.name) });
  const resources = [repo && githubIds.repo(repo), team && teamId(team, org), org && githubIds.org(org)].filter((x): x is string => !!x);
  if (target && target.startsWith('github:user:') && user) {
    out.push(rec.identity({ id: target, kind: 'human', provider: 'github', name: user, account: org ? org.toLowerCase() : null, origin: 'log', attributes: { login: user } }));
  }

  const sourceIp = str(e.actor_ip);
  const detail: Obj = {};
  for (const [k, v] of Object.entries(e)) {
    if (MAPPED.has(k) || k.startsWith('p_') || v === null || v === undefined || v === '') continue;
    detail[k] = v;
  }
  if (repo) detail.repo = repo;
  const event: EventInput = {
    id: eventIdOf(e), time, provider: 'github', service: 'github', action, outcome: 'success',
    actorId: actor.id, chain, target, resources, sourceIp, sourceKind: classifySource(sourceIp), userAgent: str(e.user_agent),
    account: (org ?? business)?.toLowerCase() ?? null, rawRef, detail: redactIfNeeded(detail),
  };
  out.push(rec.event(event));
  return out;
}

interface Parts {
  user: string | null;
  repo: string | null;
  team: string | null;
  hookId: string | null;
  org: string | null;
  business: string | null;
  name: string | null;
}

function targetOf(action: string, p: Parts): string | null {
  if (p.user && USER_TARGET.test(action)) return githubIds.user(p.user);
  // Org and enterprise settings are about the org, whatever repository the event also names.
  if (ORG_SETTING.test(action)) return p.org ? githubIds.org(p.org) : p.business ? githubIds.enterprise(p.business) : null;
  if (BUSINESS_SETTING.test(action) && p.business) return githubIds.enterprise(p.business);
  if (action.startsWith('integration_installation.') && p.name) return githubIds.app(slugOf(p.name));
  if (action.startsWith('team.') && p.team) return teamId(p.team, p.org);
  if (action.startsWith('hook.') && p.hookId) return githubIds.hook(p.hookId);
  if (p.repo) return githubIds.repo(p.repo);
  if (p.team) return teamId(p.team, p.org);
  if (p.org) return githubIds.org(p.org);
  if (p.business) return githubIds.enterprise(p.business);
  return null;
}

/** `my-org/my-team` as the audit log writes teams, or a bare slug within the event's org. */
function teamId(team: string, org: string | null): string {
  const slash = team.indexOf('/');
  return slash > 0 ? githubIds.team(team.slice(0, slash), team.slice(slash + 1)) : githubIds.team(org ?? 'unknown', team);
}

/** GitHub derives an app's slug from its name: lower-case, runs of other characters to `-`. */
export function slugOf(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
}

function eventIdOf(e: Obj): string {
  const doc = str(e._document_id);
  return doc ? `github:audit:${doc}` : `github:audit:h:${shortHash(JSON.stringify(e), 24)}`;
}
