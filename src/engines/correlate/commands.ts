import type { ActionKind } from '../../model/index.js';

/**
 * The exact command or API call that carries out an action, for a person to run after review: AWS CLI,
 * Okta and Microsoft Graph REST calls, `gh`, `gcloud`, `kubectl`. The copilot never runs them. Values
 * that must be fresh when the command runs (the revocation time) are left to the shell (`$(date ...)`);
 * tenant hosts and tokens come from the operator's environment ($OKTA_DOMAIN, $OKTA_API_TOKEN).
 */
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** `arn:aws:iam::111:user/path/name` -> `name`. */
export function awsName(arn: string): string {
  const res = arn.split(':').slice(5).join(':');
  return res.slice(res.lastIndexOf('/') + 1);
}

export function awsAccount(arn: string): string | null {
  const m = /^arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:(\d{12}):/.exec(arn);
  return m ? m[1] : null;
}

/** A deny on sessions issued before the moment the command runs (AWS's "revoke active sessions"). */
const REVOKE_OLDER = `'{"Version":"2012-10-17","Statement":[{"Sid":"RevokeOlderSessions","Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"'"$(date -u +%Y-%m-%dT%H:%M:%SZ)"'"}}}]}'`;

export interface CommandInput {
  action: ActionKind;
  target: string;
  /** The principal a credential belongs to (a key's user), when the target is a credential. */
  principal?: string | null;
  /** scope_down_policy: the proposed policy document and the broad policies to detach. */
  policy?: unknown;
  detach?: string[];
  /** remove_trust: the trust policy with the offending statement removed. */
  trust?: unknown;
  /** revoke_grant: the person who granted and the app (Entra grant ids when known). */
  grantor?: string | null;
  grantIds?: string[];
  /** remove_trust on a GCP service account: the member whose binding goes. */
  member?: string;
  /** The target's account, organisation or tenant where the command needs it (a GitHub org). */
  account?: string | null;
  /** investigate: the data-time window. */
  from?: string;
  to?: string;
}

export function commandFor(c: CommandInput): string | null {
  const cmd = commandText(c);
  // GitHub calls name the organisation; the inventory knows it for members and tokens.
  return cmd && c.account && /^github:/.test(c.target) ? cmd.replaceAll('<org>', c.account) : cmd;
}

function commandText(c: CommandInput): string | null {
  const t = c.target;
  switch (c.action) {
    case 'deactivate_credential':
    case 'rotate_credential':
      return credentialCommand(c);
    case 'disable_identity':
      return disableCommand(t);
    case 'revoke_sessions':
      return revokeSessionsCommand(t);
    case 'revoke_grant':
      return revokeGrantCommand(c);
    case 'remove_trust':
      if (t.includes(':role/') && c.trust) return `aws iam update-assume-role-policy --role-name ${awsName(t)} --policy-document ${q(JSON.stringify(c.trust))}`;
      if (t.startsWith('gcp:sa:') && c.member) {
        const member = c.member.startsWith('gcp:user:') ? `user:${c.member.slice(9)}` : c.member.startsWith('gcp:sa:') ? `serviceAccount:${c.member.slice(7)}` : c.member;
        return ['roles/iam.serviceAccountTokenCreator', 'roles/iam.serviceAccountUser'].map((r) => `gcloud iam service-accounts remove-iam-policy-binding ${t.slice(7)} --member=${member} --role=${r}`).join(' ; ');
      }
      if (t.startsWith('gcp:sa:')) return `gcloud iam service-accounts get-iam-policy ${t.slice(7)} --format=json > policy.json  # remove the member, then: gcloud iam service-accounts set-iam-policy ${t.slice(7)} policy.json`;
      if (t.startsWith('entra:app:')) return `az ad app federated-credential list --id ${t.slice(10)}  # then: az ad app federated-credential delete --id ${t.slice(10)} --federated-credential-id <id>`;
      return null;
    case 'scope_down_policy':
      if (t.includes(':role/') && c.policy) {
        const put = `aws iam put-role-policy --role-name ${awsName(t)} --policy-name least-privilege-observed --policy-document ${q(JSON.stringify(c.policy))}`;
        const detach = (c.detach ?? []).map((p) => p.startsWith('arn:') ? `aws iam detach-role-policy --role-name ${awsName(t)} --policy-arn ${p}` : p.startsWith('inline:') ? `aws iam delete-role-policy --role-name ${awsName(t)} --policy-name ${p.split(':').pop()}` : null).filter(Boolean);
        return [put, ...detach].join(' && ');
      }
      if (t.startsWith('okta:user:')) return `curl -H "Authorization: SSWS $OKTA_API_TOKEN" "https://$OKTA_DOMAIN/api/v1/users/${t.slice(10)}/roles"  # then for the role granted in the incident: curl -X DELETE ... /api/v1/users/${t.slice(10)}/roles/<roleAssignmentId>`;
      if (t.startsWith('entra:')) return `az rest --method GET --url "https://graph.microsoft.com/v1.0/roleManagement/directory/roleAssignments?\\$filter=principalId eq '${t.split(':')[2]}'"  # then delete the assignment made in the incident: az rest --method DELETE --url https://graph.microsoft.com/v1.0/roleManagement/directory/roleAssignments/<id>`;
      if (t.startsWith('arn:aws:iam::') && !c.policy) return `aws iam list-attached-${t.includes(':role/') ? 'role' : 'user'}-policies --${t.includes(':role/') ? 'role' : 'user'}-name ${awsName(t)}  # detach what the incident attached: aws iam detach-${t.includes(':role/') ? 'role' : 'user'}-policy --${t.includes(':role/') ? 'role' : 'user'}-name ${awsName(t)} --policy-arn <arn>`;
      if (t.includes(':user/') && c.policy) {
        const put = `aws iam put-user-policy --user-name ${awsName(t)} --policy-name least-privilege-observed --policy-document ${q(JSON.stringify(c.policy))}`;
        const detach = (c.detach ?? []).filter((p) => p.startsWith('arn:')).map((p) => `aws iam detach-user-policy --user-name ${awsName(t)} --policy-arn ${p}`);
        return [put, ...detach].join(' && ');
      }
      return null;
    case 'investigate':
      return investigateCommand(c);
    case 'contact_owner':
      return null;
  }
}

function credentialCommand(c: CommandInput): string | null {
  const t = c.target;
  const rotate = c.action === 'rotate_credential';
  if (t.startsWith('aws:access-key:')) {
    const key = t.slice('aws:access-key:'.length);
    const user = c.principal ? awsName(c.principal) : '<user>';
    const off = `aws iam update-access-key --user-name ${user} --access-key-id ${key} --status Inactive`;
    return rotate ? `aws iam create-access-key --user-name ${user}  # move every dependent to the new key, then: ${off}` : off;
  }
  if (t.startsWith('aws:password:')) return `aws iam delete-login-profile --user-name ${awsName(t.slice('aws:password:'.length))}`;
  if (t.startsWith('aws:key-slot:')) {
    const user = awsName(t.slice('aws:key-slot:'.length).split('#')[0]);
    return `aws iam list-access-keys --user-name ${user}  # then: aws iam update-access-key --user-name ${user} --access-key-id <id> --status Inactive`;
  }
  if (t.startsWith('github:pat:')) return `gh api -X POST /orgs/<org>/personal-access-tokens/${t.slice(11)} -f action=revoke`;
  if (t.startsWith('github:deploy-key:')) {
    const [o, r, id] = t.slice(18).split('/');
    return `gh api -X DELETE /repos/${o}/${r}/keys/${id}`;
  }
  if (t.startsWith('okta:api-token:')) return `curl -X DELETE -H "Authorization: SSWS $OKTA_API_TOKEN" "https://$OKTA_DOMAIN/api/v1/api-tokens/${t.slice(15)}"`;
  if (t.startsWith('gcp:sa-key:')) {
    const m = /serviceAccounts\/([^/]+)\/keys\/([^/]+)$/.exec(t);
    if (m) return rotate ? `gcloud iam service-accounts keys create new-key.json --iam-account ${m[1]}  # move the dependents, then: gcloud iam service-accounts keys disable ${m[2]} --iam-account ${m[1]}` : `gcloud iam service-accounts keys disable ${m[2]} --iam-account ${m[1]}`;
  }
  if (t.startsWith('entra:credential:')) {
    const app = c.principal?.startsWith('entra:app:') ? c.principal.slice(10) : '<appId>';
    const del = `az ad app credential delete --id ${app} --key-id ${t.slice(17)}`;
    return rotate ? `az ad app credential reset --id ${app} --append  # move the dependents to the new secret, then: ${del}` : del;
  }
  if (t.startsWith('k8s:sa-token:')) {
    const [, ns, name] = t.slice(13).split('/');
    return `kubectl -n ${ns} delete secret ${name}`;
  }
  if (t.startsWith('openai:') || t.startsWith('anthropic:')) return null;
  return null;
}

function disableCommand(t: string): string | null {
  if (t.includes(':user/') && t.startsWith('arn:aws:iam::')) return `aws iam attach-user-policy --user-name ${awsName(t)} --policy-arn arn:aws:iam::aws:policy/AWSDenyAll && aws iam delete-login-profile --user-name ${awsName(t)}`;
  if (t.includes(':role/') && t.startsWith('arn:aws:iam::')) return `aws iam attach-role-policy --role-name ${awsName(t)} --policy-arn arn:aws:iam::aws:policy/AWSDenyAll`;
  if (t.startsWith('okta:user:')) return `curl -X POST -H "Authorization: SSWS $OKTA_API_TOKEN" "https://$OKTA_DOMAIN/api/v1/users/${t.slice(10)}/lifecycle/suspend"`;
  if (t.startsWith('okta:app:')) return `curl -X POST -H "Authorization: SSWS $OKTA_API_TOKEN" "https://$OKTA_DOMAIN/api/v1/apps/${t.slice(9)}/lifecycle/deactivate"`;
  if (t.startsWith('entra:user:')) return `az rest --method PATCH --url https://graph.microsoft.com/v1.0/users/${t.slice(11)} --body '{"accountEnabled": false}'`;
  if (t.startsWith('entra:sp:') || t.startsWith('entra:mi:')) return `az rest --method PATCH --url https://graph.microsoft.com/v1.0/servicePrincipals/${t.slice(9)} --body '{"accountEnabled": false}'`;
  if (t.startsWith('entra:app:')) return `az rest --method PATCH --url "https://graph.microsoft.com/v1.0/servicePrincipals(appId='${t.slice(10)}')" --body '{"accountEnabled": false}'`;
  if (t.startsWith('gcp:sa:')) return `gcloud iam service-accounts disable ${t.slice(7)}`;
  if (t.startsWith('github:user:')) return `gh api -X DELETE /orgs/<org>/memberships/${t.slice(12)}`;
  if (t.startsWith('k8s:serviceaccount:')) {
    const [, ns, name] = t.slice(19).split('/');
    return `kubectl -n ${ns} get rolebindings,clusterrolebindings -o wide | grep ${name}  # delete its bindings, then: kubectl -n ${ns} delete serviceaccount ${name}`;
  }
  return null;
}

function revokeSessionsCommand(t: string): string | null {
  if (t.startsWith('arn:aws:iam::') && t.includes(':role/')) return `aws iam put-role-policy --role-name ${awsName(t)} --policy-name AWSRevokeOlderSessions --policy-document ${REVOKE_OLDER}`;
  if (t.startsWith('arn:aws:iam::') && t.includes(':user/')) return `aws iam put-user-policy --user-name ${awsName(t)} --policy-name RevokeOlderSessions --policy-document ${REVOKE_OLDER}`;
  if (t.startsWith('okta:user:')) return `curl -X DELETE -H "Authorization: SSWS $OKTA_API_TOKEN" "https://$OKTA_DOMAIN/api/v1/users/${t.slice(10)}/sessions?oauthTokens=true"`;
  if (t.startsWith('okta:app:')) return `curl -X DELETE -H "Authorization: SSWS $OKTA_API_TOKEN" "https://$OKTA_DOMAIN/api/v1/apps/${t.slice(9)}/tokens"`;
  if (t.startsWith('entra:sp:')) return `az rest --method POST --url https://graph.microsoft.com/v1.0/servicePrincipals/${t.slice(9)}/revokeSignInSessions  # and remove its client secrets: az ad sp credential list --id ${t.slice(9)}`;
  if (t.startsWith('entra:user:')) return `az rest --method POST --url https://graph.microsoft.com/v1.0/users/${t.slice(11)}/revokeSignInSessions`;
  if (t.startsWith('gcp:sa:')) return `gcloud iam service-accounts disable ${t.slice(7)} && gcloud iam service-accounts enable ${t.slice(7)}  # invalidates its issued access tokens`;
  if (t.startsWith('k8s:serviceaccount:')) {
    const [, ns, name] = t.slice(19).split('/');
    return `kubectl -n ${ns} delete serviceaccount ${name} && kubectl -n ${ns} create serviceaccount ${name}  # bound tokens die with the old account's uid`;
  }
  if (t.startsWith('github:user:')) return `gh api -X GET /orgs/<org>/credential-authorizations --jq '.[] | select(.login=="${t.slice(12)}")'  # then revoke each: gh api -X DELETE /orgs/<org>/credential-authorizations/<credential_id>`;
  return null;
}

function revokeGrantCommand(c: CommandInput): string | null {
  const app = c.target;
  if (app.startsWith('okta:app:')) {
    const user = c.grantor?.startsWith('okta:user:') ? c.grantor.slice(10) : '<userId>';
    return `curl -X DELETE -H "Authorization: SSWS $OKTA_API_TOKEN" "https://$OKTA_DOMAIN/api/v1/users/${user}/clients/${app.slice(9)}/grants"`;
  }
  if (app.startsWith('entra:')) {
    if (c.grantIds?.length) return c.grantIds.map((g) => `az rest --method DELETE --url https://graph.microsoft.com/v1.0/oauth2PermissionGrants/${g}`).join(' && ');
    const client = app.startsWith('entra:sp:') ? app.slice(9) : app.startsWith('entra:app:') ? `<servicePrincipal id of app ${app.slice(10)}>` : app;
    const user = c.grantor?.startsWith('entra:user:') ? ` and principalId eq '${c.grantor.slice(11)}'` : '';
    return `az rest --method GET --url "https://graph.microsoft.com/v1.0/oauth2PermissionGrants?\\$filter=clientId eq '${client}'${user}"  # then for each id: az rest --method DELETE --url https://graph.microsoft.com/v1.0/oauth2PermissionGrants/<id>`;
  }
  if (app.startsWith('github:app:')) return `gh api /orgs/<org>/installations --jq '.installations[] | select(.app_slug=="${app.slice(11)}") | .id'  # then remove it in the organization settings (Installed GitHub Apps > Uninstall)`;
  if (app.startsWith('gcp:')) return `gcloud alpha iam oauth-clients list  # revoke the user's grant at https://myaccount.google.com/permissions or with the Admin SDK: tokens.delete`;
  return null;
}

function investigateCommand(c: CommandInput): string | null {
  const t = c.target;
  const window = c.from && c.to ? ` --start-time ${c.from} --end-time ${c.to}` : '';
  if (t.startsWith('aws:access-key:')) return `aws cloudtrail lookup-events --lookup-attributes AttributeKey=AccessKeyId,AttributeValue=${t.slice(15)}${window}`;
  if (t.startsWith('arn:aws:iam::') && (t.includes(':user/') || t.includes(':role/'))) return `idcopilot trace ${t} --down && aws cloudtrail lookup-events --lookup-attributes AttributeKey=Username,AttributeValue=${awsName(t)}${window}`;
  if (t.startsWith('arn:aws:s3:::')) return `aws cloudtrail lookup-events --lookup-attributes AttributeKey=ResourceName,AttributeValue=${t.slice(13)}${window}  # object-level reads need S3 data events (CloudTrail Lake or Athena)`;
  if (t.startsWith('arn:aws:')) return `aws cloudtrail lookup-events --lookup-attributes AttributeKey=ResourceName,AttributeValue=${t}${window}`;
  if (t.startsWith('okta:user:')) return `curl -H "Authorization: SSWS $OKTA_API_TOKEN" "https://$OKTA_DOMAIN/api/v1/logs?filter=actor.id+eq+\\"${t.slice(10)}\\"${c.from ? `&since=${c.from}` : ''}"`;
  if (t.startsWith('entra:user:') || t.startsWith('entra:sp:')) return `az rest --method GET --url "https://graph.microsoft.com/v1.0/auditLogs/signIns?\\$filter=${t.startsWith('entra:user:') ? 'userId' : 'servicePrincipalId'} eq '${t.split(':')[2]}'"`;
  if (t.startsWith('github:')) return `gh api "/orgs/<org>/audit-log?phrase=actor:${t.split(':').pop()}&include=all"`;
  if (t.startsWith('gcp:sa:')) return `gcloud logging read 'protoPayload.authenticationInfo.principalEmail="${t.slice(7)}"' --freshness=7d --format=json`;
  if (t.startsWith('k8s:')) return `idcopilot trace ${t} --down`;
  return `idcopilot trace ${t}`;
}
