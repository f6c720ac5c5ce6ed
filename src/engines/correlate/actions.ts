import { SEVERITY_RANK, type ActionKind, type DependentsOf, type RecommendedAction, type Severity, type Urgency } from '../../model/index.js';
import type { Db } from '../../store/index.js';
import type { StoryActivity } from './activity.js';
import { awsAccount, awsName, commandFor } from './commands.js';
import { dependentsOf, describeDependents } from './dependents.js';
import { GONE, providerManaged, type FactBook, type IdentityFact } from './facts.js';
import type { Story } from './grouping.js';
import { observedPolicy } from './least-privilege.js';

/**
 * Recommended actions, ordered, each with a target, an urgency, a reason and the command that does it.
 * Rules read the story (its chain, its alerts, its own events) and the facts around it (owners,
 * privileges, trust policies, who else uses a credential): a leaver's key is deactivated, a key other
 * workloads rely on is rotated in a safe order, the sessions of every role the chain assumed are
 * revoked, a trust that let a person or another environment into a machine role is narrowed, an
 * over-privileged role gets a policy built from what it was seen doing, and the accountable owner is
 * named. Nothing here acts: these are proposals for a person.
 */
export interface ActionContext {
  db: Db;
  facts: FactBook;
  asOfMs: number;
  severity: Severity;
  happeningNow: boolean;
  /** Resources the story touched that are restricted, confidential or crown jewels (from the impact assessment). */
  sensitive: Set<string>;
}

export interface ActionPlan {
  actions: RecommendedAction[];
  dependents: DependentsOf[];
}

const ORDER: ActionKind[] = ['revoke_sessions', 'deactivate_credential', 'disable_identity', 'revoke_grant', 'remove_trust', 'rotate_credential', 'scope_down_policy', 'contact_owner', 'investigate'];
const URGENCY_RANK: Record<Urgency, number> = { now: 0, today: 1, this_week: 2 };
const LONG_LIVED = /^(aws:access-key:|aws:key-slot:|github:pat:|github:token:|github:deploy-key:|okta:api-token:|gcp:sa-key:|gcp:api-key:|entra:credential:|k8s:sa-token:|openai:(api-key|key):|anthropic:(api-key|key):|generic:token:|azure:storage-key:)/;
const CREATED_IDENTITY = /^(CreateUser|CreateRole|google\.iam\.admin\.v1\.CreateServiceAccount|Add user|Add service principal|user\.lifecycle\.create|create serviceaccounts)$/;
const PRIVILEGE_GRANT = /^(AttachUserPolicy|AttachRolePolicy|AttachGroupPolicy|PutUserPolicy|PutRolePolicy|PutGroupPolicy|AddUserToGroup|CreatePolicyVersion|SetDefaultPolicyVersion|user\.account\.privilege\.grant|group\.privilege\.grant|Add member to role|Add eligible member to role|SetIamPolicy|create clusterrolebindings|create rolebindings|org\.update_member)$/;
const TRUST_CHANGE = /^(UpdateAssumeRolePolicy|Add federated identity credential|Update application)$/;
const PASSWORD_SET = /^(CreateLoginProfile|UpdateLoginProfile)$/;
const MEMBER_ADDED = /^(repo\.add_member|repo\.add_outside_collaborator|org\.add_member|org\.add_outside_collaborator|business\.add_admin|team\.add_member)$/;
const LEAK = /leak|exposed|publicly|secret.?scanning|credential.?exfil|InstanceCredentialExfiltration|leakedCredentials/i;
const HOUR = 3_600_000;

export function isLongLivedCredential(id: string, f: IdentityFact | null): boolean {
  return LONG_LIVED.test(id) || f?.kind === 'api_key';
}

export async function planActions(story: Story, activity: StoryActivity, ctx: ActionContext): Promise<ActionPlan> {
  const { facts } = ctx;
  const out = new Map<string, RecommendedAction>();
  const dependents = new Map<string, DependentsOf>();
  const exclude = activity.events.map((e) => e.id);
  const add = (a: Omit<RecommendedAction, 'command' | 'dependents' | 'steps'> & Partial<RecommendedAction>) => {
    const key = `${a.action}\u0000${a.target}`;
    const prev = out.get(key);
    if (prev && URGENCY_RANK[prev.urgency] <= URGENCY_RANK[a.urgency]) return;
    out.set(key, { command: null, dependents: [], steps: [], ...a });
  };
  const name = (id: string) => facts.get(id)?.name ?? shortId(id);
  const strong = SEVERITY_RANK[ctx.severity] >= SEVERITY_RANK.high;
  const fresh = ctx.asOfMs - activity.lastMs <= 12 * HOUR;
  const ids = story.chain.map((l) => l.identity);
  const root = facts.get(story.root);
  const person = story.person ? facts.get(story.person) : null;
  const rootOwner = facts.owner(story.root);
  const ownerGone = Boolean((person && GONE.has(person.status)) || (root?.kind === 'human' && GONE.has(root.status)) || (rootOwner && GONE.has(rootOwner.ownerStatus) && root?.kind !== 'human'));
  const goneWho = person && GONE.has(person.status) ? `${person.name} is ${person.status}${person.attributes.endDate ? ` (since ${String(person.attributes.endDate).slice(0, 10)})` : ''}` : rootOwner && GONE.has(rootOwner.ownerStatus) ? `its owner ${rootOwner.ownerName} is ${rootOwner.ownerStatus}` : root ? `${root.name} is ${root.status}` : '';
  const leaked = story.alerts.filter((a) => LEAK.test(`${a.rule ?? ''} ${a.title} ${a.source}`) || a.mitre.some((m) => m.startsWith('T1552')));
  const dormant = story.alerts.some((a) => a.rule === 'baseline:dormant');
  const newNetwork = story.alerts.some((a) => a.rule === 'baseline:new_network' || /new.?network|unfamiliar|anonymous|tor|malicious ?ip/i.test(a.title));
  const compromised = ownerGone || leaked.length > 0 || dormant || (newNetwork && strong) || story.alerts.some((a) => a.source === 'guardduty' || /compromis|exfiltrat/i.test(a.title));
  const actors = topActors(activity, story);

  // 1. Long-lived credentials the story used or that alerts name: deactivate when nobody legitimate needs them, else rotate safely.
  const creds = [...new Set([...ids.filter((i) => isLongLivedCredential(i, facts.get(i))), ...story.credentials.filter((c) => isLongLivedCredential(c, facts.get(c)))])];
  for (const c of creds) {
    const principal = principalOf(story, c, facts);
    const dep = await dependentsOf(ctx.db, { id: c, as: 'credential', principal }, exclude, ctx.asOfMs);
    dependents.set(c, dep);
    const isLeaked = leaked.some((a) => a.credentials.includes(c) || a.identities.includes(c)) || (leaked.length > 0 && creds.length === 1);
    const why = [
      isLeaked ? `an alert says it leaked (${leaked[0].title})` : null,
      ownerGone ? goneWho : null,
      dormant ? 'it came back after a long dormancy' : null,
      newNetwork ? 'it was used from a network never seen for it' : null,
    ].filter(Boolean).join('; ');
    if (isLeaked || ownerGone || (dep.safeToRevoke && compromised)) {
      // A leaked key or a leaver's key is in someone else's hands: off now; dependents get a new one first if they must keep running.
      add({
        action: 'deactivate_credential', target: c, urgency: 'now',
        reason: `${credLabel(c)}: ${why || 'used in this incident'}; ${dep.safeToRevoke ? 'no other use observed in the last 30 days, so deactivating it breaks nothing seen' : `${dep.dependents.length} other user(s) of it were seen: they stop working until moved to a new credential`}`,
        dependents: describeDependents(dep),
        steps: dep.safeToRevoke ? ['Deactivate it now; delete it after a week without complaints'] : ['Deactivate it now: it is in someone else\'s hands', ...safeOrder(c, principal, dep).slice(0, 2), 'Delete the old one once nothing fails'],
      });
    } else {
      const urgency: Urgency = compromised ? 'now' : 'today';
      add({
        action: 'rotate_credential', target: c, urgency,
        reason: `${credLabel(c)} was used in this incident${why ? ` (${why})` : ''}${dep.dependents.length ? `; ${dep.dependents.length} other user(s) of it were seen, so rotate in a safe order instead of revoking outright` : ''}`,
        dependents: describeDependents(dep),
        steps: safeOrder(c, principal, dep),
      });
    }
  }
  // 2. Keys the story minted: persistence.
  for (const k of activity.createdKeys) {
    const creator = activity.events.find((e) => e.createdKey && k.endsWith(e.createdKey));
    add({ action: 'deactivate_credential', target: k, urgency: 'now', reason: `created during the incident by ${name(creator?.actorId ?? story.root)} (${creator?.time.slice(0, 16) ?? ''}Z): a way back in that survives every other fix`, steps: ['Deactivate, then delete once the incident is closed'] });
  }
  // 2b. What the story changed to stay in or widen its reach: undo each change.
  for (const e of activity.events) {
    if (e.outcome === 'failure' || !e.target) continue;
    const target = e.target;
    if (ids.includes(target) && !/^(CreateUser|CreateRole)$/.test(e.action)) continue;
    if (CREATED_IDENTITY.test(e.action)) {
      add({ action: 'disable_identity', target, urgency: 'now', reason: `${name(target)} was created during the incident by ${name(e.actorId)} (${e.action} at ${e.time.slice(0, 16)}Z): a foothold, not a system anyone asked for` });
    } else if (PRIVILEGE_GRANT.test(e.action)) {
      add({ action: 'scope_down_policy', target, urgency: 'now', reason: `${name(e.actorId)} gave ${name(target)} more rights during the incident (${e.action} at ${e.time.slice(0, 16)}Z): take them back` });
    } else if (TRUST_CHANGE.test(e.action)) {
      add({ action: 'remove_trust', target, urgency: 'now', reason: `${name(e.actorId)} changed who can assume ${name(target)} during the incident (${e.action} at ${e.time.slice(0, 16)}Z): restore the previous trust policy` });
    } else if (MEMBER_ADDED.test(e.action) && target !== e.actorId) {
      add({ action: 'disable_identity', target, urgency: 'now', reason: `${name(target)} was given access during the incident by ${name(e.actorId)} (${e.action} at ${e.time.slice(0, 16)}Z): remove it until someone vouches for it` });
    } else if (PASSWORD_SET.test(e.action) && target.startsWith('arn:aws:iam::') && target !== e.actorId) {
      add({ action: 'deactivate_credential', target: `aws:password:${target}`, urgency: 'now', reason: `${name(e.actorId)} set a console password for ${name(target)} during the incident (${e.action}): anyone holding it can sign in as them` });
    }
  }
  // 3. A machine identity signing in to a console: its password goes, its console sessions end.
  const machineLogins = activity.consoleLogins.filter((e) => e.outcome !== 'failure' && facts.get(e.actorId)?.kind !== 'human');
  const consoleAlert = story.alerts.some((a) => /machine-identity-login|service.*console|console.*(service|machine)/i.test(`${a.rule ?? ''} ${a.title}`));
  for (const e of machineLogins.length ? machineLogins : consoleAlert ? activity.consoleLogins : []) {
    if (!e.actorId.startsWith('arn:aws:iam::') || !e.actorId.includes(':user/')) continue;
    add({ action: 'deactivate_credential', target: `aws:password:${e.actorId}`, urgency: 'now', reason: `${name(e.actorId)} is a machine identity yet signed in to the console${e.chain.mfa === false ? ' without MFA' : ''} from ${e.sourceIp ?? 'an unknown address'} at ${e.time.slice(0, 16)}Z: a service user needs no console password` });
    add({ action: 'revoke_sessions', target: e.actorId, urgency: 'now', reason: `its console session from ${e.time.slice(0, 16)}Z may still be open` });
  }
  // 4. Leavers' accounts, and agents that were steered.
  if (ownerGone && root && root.kind !== 'group' && !root.external && !providerManaged(root, story.root)) {
    add({ action: 'disable_identity', target: story.root, urgency: 'now', reason: `${goneWho}: the account should have been closed at offboarding and is in use now` });
  }
  for (const id of ids) {
    const f = facts.get(id);
    if (f?.kind === 'ai_agent' && (f.autonomy === 'full' || f.autonomy === 'partial') && strong) {
      add({ action: 'disable_identity', target: id, urgency: 'now', reason: `${f.name} acts with ${f.autonomy} autonomy and did this on its own initiative: pause it until its instructions, inputs and tools are reviewed` });
    }
  }
  // 5. Sessions of every role the chain assumed; people's sign-in sessions where the sign-in is what was abused.
  for (let i = 1; i < story.chain.length; i++) {
    const l = story.chain[i];
    if (l.edge !== 'assumed' && l.edge !== 'impersonates' && l.edge !== 'federates_to') continue;
    const f = facts.get(l.identity);
    if (f?.accountRoot) continue;
    const issuedTo = story.chain.slice(0, i).reverse().find((x) => !isLongLivedCredential(x.identity, facts.get(x.identity)))?.identity ?? story.chain[i - 1].identity;
    add({ action: 'revoke_sessions', target: l.identity, urgency: fresh || ctx.happeningNow || strong ? 'now' : 'today', reason: `the incident acted through sessions of ${name(l.identity)} issued to ${name(issuedTo)}; a session stays valid for up to 12 hours after the credential behind it is fixed` });
  }
  // Roles whose temporary sessions the story used directly (instance credentials, a session taken elsewhere).
  for (const id of ids) {
    if (!id.includes(':role/') || facts.get(id)?.accountRoot) continue;
    if (activity.events.some((e) => e.actorId === id && (e.chain.credentialId ?? '').startsWith('aws:session-key:'))) {
      add({ action: 'revoke_sessions', target: id, urgency: fresh || ctx.happeningNow || strong ? 'now' : 'today', reason: `the incident used temporary sessions of ${name(id)}; they stay valid until they expire unless revoked` });
    }
  }
  const signInAbuse = story.alerts.some((a) => /sign.?in|login|session|risk|impossible|atypical|token/i.test(`${a.rule ?? ''} ${a.title}`));
  if (root && root.kind === 'human' && ['okta', 'entra', 'gcp', 'github'].includes(root.provider) && (signInAbuse || compromised)) {
    add({ action: 'revoke_sessions', target: story.root, urgency: 'now', reason: `${root.name}'s sign-in sessions and refresh tokens may be in someone else's hands` });
  }
  const persistence = activity.events.some((e) => e.outcome !== 'failure' && (CREATED_IDENTITY.test(e.action) || PRIVILEGE_GRANT.test(e.action) || TRUST_CHANGE.test(e.action) || PASSWORD_SET.test(e.action) || e.createdKey));
  if (root && strong && (root.kind === 'service_account' || root.kind === 'workload') && /^(k8s|gcp|entra|okta):/.test(story.root)) {
    add({ action: 'revoke_sessions', target: story.root, urgency: 'now', reason: `tokens issued to ${root.name} may be in someone else's hands; revoking them forces every workload to fetch new ones` });
  }
  // An integration (an OAuth or service app) that turned on its tenant: switch it off until its owner and vendor answer.
  if (root && strong && root.kind === 'oauth_app' && (persistence || compromised || newNetwork)) {
    add({ action: 'disable_identity', target: story.root, urgency: 'now', reason: `${root.name} is an integration acting on its own credentials and it ${persistence ? 'changed who has access' : 'was used from somewhere new'}: deactivate it until its owner confirms with the vendor` });
    add({ action: 'revoke_sessions', target: story.root, urgency: 'now', reason: `the tokens ${root.name} was issued stay valid after it is deactivated unless revoked` });
  }
  // 6. OAuth grants: an app a person consented to, acting with their rights.
  for (const g of grantsOf(story, activity, facts)) {
    add({ action: 'revoke_grant', target: g.app, urgency: 'now', reason: `${name(g.person)} granted ${name(g.app)}${g.scopes.length ? ` ${g.scopes.slice(0, 5).join(', ')}` : ''}; the app acts with their rights${g.unverified ? ' and its publisher is not verified' : ''}`, ...{ _grantor: g.person } });
    if (g.unverified && strong) add({ action: 'disable_identity', target: g.app, urgency: 'now', reason: `${name(g.app)} is an unverified third-party app: disable its service principal tenant-wide so that no one else's consent keeps it working` });
  }
  // 7. Trusts that let the chain in where it should not have been.
  for (let i = 1; i < story.chain.length; i++) {
    const l = story.chain[i];
    if (l.edge !== 'assumed' || !l.identity.includes(':role/')) continue;
    // The principal that assumed it, not the key it signed with.
    const caller = story.chain.slice(0, i).reverse().find((x) => !isLongLivedCredential(x.identity, facts.get(x.identity)))?.identity ?? story.chain[i - 1].identity;
    const t = await trustFinding(ctx.db, l.identity, caller, facts, story);
    if (t) add({ action: 'remove_trust', target: l.identity, urgency: ctx.happeningNow || strong ? 'now' : 'today', reason: t.reason, ...{ _trust: t.document } });
  }
  // GCP impersonation: the binding that lets the caller mint tokens for the account.
  for (let i = 1; i < story.chain.length; i++) {
    const l = story.chain[i];
    if (l.edge !== 'impersonates' || !l.identity.startsWith('gcp:sa:') || !(strong || compromised)) continue;
    const caller = story.chain[i - 1].identity;
    add({ action: 'remove_trust', target: l.identity, urgency: 'now', reason: `${name(caller)} can mint tokens for ${name(l.identity)} (token creator or account user) and did so in this incident: remove that binding`, ...{ _member: caller } });
  }
  // 8. Over-privileged identities in the chain: a policy from what they were seen doing.
  for (const id of ids) {
    const f = facts.get(id);
    if (!f || (f.privilege !== 'admin' && f.privilege !== 'privesc') || f.kind === 'human' || f.accountRoot || !id.startsWith('arn:aws:iam::')) continue;
    let p = await observedPolicy(ctx.db, id, exclude, ctx.asOfMs);
    let basis = 'its own calls outside this incident in the last 30 days';
    if (!p) {
      p = await observedPolicy(ctx.db, id, [], ctx.asOfMs);
      basis = 'every call it made in the last 30 days, this incident included (it had no other use)';
    }
    const replaces = p?.replaces ?? [];
    add({
      action: 'scope_down_policy', target: id, urgency: strong ? 'today' : 'this_week',
      reason: p
        ? `${f.name} holds ${f.privilege} rights${replaces.length ? ` (${replaces.map(shortId).join(', ')})` : ''} but used ${p.actions} action(s): replace them with the observed-use policy built from ${basis}${p.notes.length ? `; ${p.notes.join('; ')}` : ''}`
        : `${f.name} holds ${f.privilege} rights and no use of them was observed in 30 days: detach them`,
      ...{ _policy: p?.document ?? null, _detach: replaces },
    });
  }
  // 9. Who answers for it.
  const ownerTargets = [story.root, ...ids.slice(1).reverse()];
  let contacted = false;
  for (const id of ownerTargets) {
    const f = facts.get(id);
    if (!f || f.external || f.accountRoot || providerManaged(f, id) || isLongLivedCredential(id, f)) continue;
    const o = facts.owner(id);
    // A person's own account: ask the person first (was it them?), then whoever answers for the account.
    if (f.kind === 'human' && person && !GONE.has(person.status)) {
      add({ action: 'contact_owner', target: id, urgency: strong ? 'now' : 'today', reason: `ask ${person.name}${person.email ?? f.email ? ` <${person.email ?? f.email}>` : ''} whether this was them${o && o.ownerId !== person.id ? `; the account answers to ${o.ownerName}${o.team ? ` (${o.team})` : ''}` : ''}` });
      contacted = true;
      break;
    }
    if (!o && f.kind === 'human' && !GONE.has(f.status)) {
      add({ action: 'contact_owner', target: id, urgency: strong ? 'now' : 'today', reason: `ask ${f.name}${f.email ? ` <${f.email}>` : ''} whether this was them` });
      contacted = true;
      break;
    }
    if (!o) {
      add({ action: 'contact_owner', target: id, urgency: 'today', reason: `${f.name} has no accountable owner on record: find one (ownership map, tags) before changing it` });
      contacted = true;
      break;
    }
    const gone = GONE.has(o.ownerStatus);
    add({
      action: 'contact_owner', target: id, urgency: strong ? 'now' : 'today',
      reason: gone
        ? `accountable owner ${o.ownerName} is ${o.ownerStatus}${o.team ? `: contact team ${o.team} instead` : ': assign a new owner'}`
        : `accountable owner: ${o.ownerName}${o.ownerEmail ? ` <${o.ownerEmail}>` : ''}${o.team ? `, team ${o.team}` : ''} (from ${o.source})`,
    });
    contacted = true;
    break;
  }
  if (!contacted && ids.length) {
    const deepest = [...ids].reverse().find((i) => !isLongLivedCredential(i, facts.get(i))) ?? ids[ids.length - 1];
    add({ action: 'contact_owner', target: deepest, urgency: 'today', reason: `${name(deepest)} is reached from ${name(story.root)}, outside the organisation: its owner decides what the third party may keep` });
  }
  // 10. What to look at: the identities that acted, and the sensitive data they touched.
  for (const a of actors.filter((x) => !facts.get(x)?.external && !facts.get(x)?.accountRoot).slice(0, 2)) add({ action: 'investigate', target: a, urgency: strong ? 'now' : 'today', reason: `review everything ${name(a)} did from ${new Date(activity.firstMs).toISOString().slice(0, 16)}Z on: ${summaryOfActions(activity, a)}` });
  const sensitiveTouched = [...activity.touched].filter(([res]) => ctx.sensitive.has(res)).sort((x, y) => y[1].count - x[1].count || (x[0] < y[0] ? -1 : 1));
  for (const [i, [res, t]] of sensitiveTouched.slice(0, 3).entries()) {
    const more = i === 2 && sensitiveTouched.length > 3 ? `; and ${sensitiveTouched.length - 3} more sensitive resource(s): ${sensitiveTouched.slice(3, 8).map(([r]) => shortId(r)).join(', ')}` : '';
    add({ action: 'investigate', target: res, urgency: strong ? 'now' : 'today', reason: `${t.count} call(s) on ${shortId(res)} (${[...t.actions].slice(0, 3).join(', ')}): establish what was read or changed${more}` });
  }

  const from = new Date(activity.firstMs - HOUR).toISOString().slice(0, 19) + 'Z';
  const to = new Date(ctx.asOfMs).toISOString().slice(0, 19) + 'Z';
  const actions = [...out.values()].map((a) => {
    const extra = a as RecommendedAction & { _trust?: unknown; _policy?: unknown; _detach?: string[]; _grantor?: string; _member?: string };
    const command = commandFor({ action: a.action, target: a.target, principal: principalOf(story, a.target, facts), trust: extra._trust, policy: extra._policy, detach: extra._detach, grantor: extra._grantor, member: extra._member, account: facts.get(a.target)?.account ?? facts.get(story.root)?.account ?? null, from, to });
    const { _trust, _policy, _detach, _grantor, _member, ...clean } = extra;
    void _trust; void _policy; void _detach; void _grantor; void _member;
    return { ...clean, command, dependents: clean.dependents.length ? clean.dependents : describeDependents(dependents.get(a.target) ?? { target: a.target, dependents: [], safeToRevoke: true, period: { from, to } }) };
  });
  // What breaks, for every disruptive action that has not been assessed yet.
  for (const a of actions) {
    if (!['disable_identity', 'revoke_sessions', 'remove_trust'].includes(a.action) || dependents.has(a.target)) continue;
    const dep = await dependentsOf(ctx.db, { id: a.target, as: 'identity' }, exclude, ctx.asOfMs);
    dependents.set(a.target, dep);
    a.dependents = describeDependents(dep);
    if (a.steps.length === 0 && dep.dependents.length) a.steps = [`Tell the ${dep.dependents.length} other user(s) first: ${a.dependents.slice(0, 3).join('; ')}`, 'Then apply the change', 'Watch for failures from those users for a day'];
  }
  actions.sort((x, y) => URGENCY_RANK[x.urgency] - URGENCY_RANK[y.urgency] || ORDER.indexOf(x.action) - ORDER.indexOf(y.action) || (x.target < y.target ? -1 : 1));
  return { actions, dependents: [...dependents.values()] };
}

function topActors(a: StoryActivity, s: Story): string[] {
  const n = new Map<string, number>();
  for (const e of a.events) n.set(e.actorId, (n.get(e.actorId) ?? 0) + 1);
  const list = [...n].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).map(([id]) => id);
  return list.length ? list : [s.chain[s.chain.length - 1]?.identity ?? s.root];
}

function summaryOfActions(a: StoryActivity, actor: string): string {
  const n = new Map<string, number>();
  for (const e of a.events) if (e.actorId === actor) n.set(e.action, (n.get(e.action) ?? 0) + 1);
  const top = [...n].sort((x, y) => y[1] - x[1]).slice(0, 4).map(([k, v]) => `${k} x${v}`);
  return top.length ? top.join(', ') : 'no calls recorded';
}

function principalOf(story: Story, cred: string, facts: FactBook): string | null {
  const i = story.chain.findIndex((l) => l.identity === cred);
  if (i > 0) return story.chain[i - 1].identity;
  if (cred.startsWith('aws:password:')) return cred.slice('aws:password:'.length);
  const f = facts.get(cred);
  const owner = f?.attributes.user ?? f?.attributes.userArn;
  if (typeof owner === 'string') return owner;
  return story.chain.find((l) => l.identity.includes(':user/'))?.identity ?? null;
}

function credLabel(id: string): string {
  if (id.startsWith('aws:access-key:')) return `access key ${id.slice(15)}`;
  if (id.startsWith('github:pat:')) return `GitHub token ${id.slice(11)}`;
  if (id.startsWith('okta:api-token:')) return `Okta API token ${id.slice(15)}`;
  if (id.startsWith('gcp:sa-key:')) return `service account key ${id.split('/').pop()}`;
  if (id.startsWith('entra:credential:')) return `client secret ${id.slice(17)}`;
  return id;
}

function safeOrder(c: string, principal: string | null, dep: DependentsOf): string[] {
  const user = principal ? awsName(principal) : '<user>';
  const issue = c.startsWith('aws:access-key:') ? `Issue a new key: aws iam create-access-key --user-name ${user}` : 'Issue a new credential for the same identity';
  const move = dep.dependents.length ? `Move each dependent to it: ${dep.dependents.slice(0, 5).map((d) => d.label).join('; ')}` : 'Update whatever reads the old one';
  const check = c.startsWith('aws:access-key:') ? `Confirm the old key is no longer used: aws iam get-access-key-last-used --access-key-id ${c.slice(15)}` : 'Confirm the old one is no longer used';
  return [issue, move, check, 'Deactivate the old one, and delete it after a week without failures'];
}

function shortId(id: string): string {
  if (id.startsWith('arn:')) return id.split(':').slice(5).join(':').split('/').pop() || id;
  return id;
}

interface Grant {
  person: string;
  app: string;
  scopes: string[];
  unverified: boolean;
}

function grantsOf(story: Story, activity: StoryActivity, facts: FactBook): Grant[] {
  const out: Grant[] = [];
  for (let i = 1; i < story.chain.length; i++) {
    const l = story.chain[i];
    const prev = story.chain[i - 1].identity;
    const f = facts.get(l.identity);
    if ((l.edge === 'granted' || l.edge === 'acts_for') && f && (f.kind === 'oauth_app' || f.kind === 'service_account') && facts.get(prev)?.kind === 'human') {
      out.push({ person: prev, app: l.identity, scopes: [], unverified: unverified(f) });
    }
  }
  for (const e of activity.events) {
    if (!/consent|oauth2\.as\.consent\.grant|app\.oauth2\.consent|oauth_authorization\.create|Add (delegated|app role assignment)/i.test(e.action) || !e.target) continue;
    const app = e.target;
    if (out.some((g) => g.app === app)) continue;
    out.push({ person: e.actorId, app, scopes: [], unverified: unverified(facts.get(app)) });
  }
  return out;
}

function unverified(f: IdentityFact | null): boolean {
  if (!f) return true;
  const v = f.attributes.verifiedPublisher ?? f.attributes.publisherVerified ?? f.attributes.verified;
  return v === false || v === null || v === undefined ? !f.attributes.firstParty : false;
}

/**
 * The trust statement that let `caller` into `role`, when it is broader than the role's job: anyone
 * (`*`), another environment (development into production), a person's account into a role that
 * otherwise federates machines (CI), or another organisation without an ExternalId.
 */
async function trustFinding(db: Db, role: string, caller: string, facts: FactBook, story: Story): Promise<{ reason: string; document: unknown } | null> {
  const [p] = await db.query('SELECT document FROM policies WHERE id = $1', [`trust:${role}`]);
  const doc = p?.document as { Version?: string; Statement?: unknown } | undefined;
  const statements = doc ? (Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : []) as Record<string, any>[] : [];
  const callerAccount = awsAccount(caller) ?? (/^\d{12}$/.test(String(facts.get(caller)?.account)) ? String(facts.get(caller)!.account) : null);
  const principals = (s: Record<string, any>): string[] => {
    const pr = s.Principal;
    if (pr === '*') return ['*'];
    const aws = pr?.AWS;
    return aws === undefined ? [] : Array.isArray(aws) ? aws : [aws];
  };
  const admits = (s: Record<string, any>) => s.Effect === 'Allow' && principals(s).some((x) => x === '*' || x === caller || (callerAccount && (x === `arn:aws:iam::${callerAccount}:root` || x === callerAccount)));
  const matched = statements.filter(admits);
  const roleFact = facts.get(role);
  const callerFact = facts.get(caller);
  const federated = statements.some((s) => s.Effect === 'Allow' && s.Principal?.Federated);
  const anyone = matched.some((s) => principals(s).includes('*'));
  const crossEnv = roleFact?.environment === 'prod' && (callerFact?.environment === 'dev' || callerFact?.environment === 'staging');
  const personIntoMachine = federated && (callerFact?.kind === 'human' || Boolean(story.person));
  const external = callerFact?.external || (callerAccount !== null && roleFact?.account && callerAccount !== awsAccount(role) && callerFact?.accountRoot && callerFact.external);
  const noExternalId = matched.some((s) => !JSON.stringify(s.Condition ?? {}).includes('sts:ExternalId'));
  const newHuman = story.alerts.some((a) => a.rule === 'baseline:new_caller' && a.identities.includes(role) && a.severity === 'high');
  let why: string | null = null;
  if (anyone) why = `${shortId(role)} trusts any AWS principal ("*")`;
  else if (crossEnv) why = `${shortId(role)} (production) trusts ${matched.length && principals(matched[0]).some((x) => x.endsWith(':root')) ? `the whole ${callerFact?.environment} account ${callerAccount}` : shortId(caller)}, which let ${callerFact?.environment} credentials into production`;
  else if (personIntoMachine || newHuman) why = `${shortId(role)} is a machine role (it federates CI/workload identities) but its trust also admits ${matched.length && principals(matched[0]).some((x) => x.endsWith(':root')) ? `every principal of account ${callerAccount}` : shortId(caller)}, which let a person's credentials in`;
  else if (external && noExternalId && matched.length) why = `${shortId(role)} trusts another organisation's account ${callerAccount} without an ExternalId condition (confused deputy)`;
  if (!why) return null;
  if (!matched.length) return { reason: `${why}; the trust policy was not in the inventory: remove the statement that admits ${shortId(caller)}`, document: null };
  const remaining = statements.filter((s) => !matched.includes(s));
  const document = { Version: doc?.Version ?? '2012-10-17', Statement: remaining };
  return {
    reason: `${why}: remove that statement${remaining.length ? ` (the role keeps its ${remaining.length} other trust statement(s))` : ' (nothing else trusts it: add the intended principal before applying)'}`,
    document,
  };
}
