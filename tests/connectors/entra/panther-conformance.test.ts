import { describe, expect, it } from 'vitest';
import { SKIP_DATASETS } from '../../helpers/datasets.js';
import { checkRows, expectValid, hasPanther, parsePanther, type Expected } from './panther.js';

/**
 * Every Panther rule test of Azure.Audit alone (Entra sign-ins and audits in the Azure Monitor shape)
 * and of Azure.MonitorActivity alone (the Activity Log and storage logs): a valid event with the
 * actor, target and chain checked by hand against the raw record, or a reject naming what is missing.
 */
const AUDIT: Expected[] = [
  ["Azure.Audit.OIDC.Changed|Authentication Methods Policy OIDC Discovery URL Changed", "entra:user:admin-compromised-001", "entra:policy:policy-auth-methods-123", {}],
  ["Azure.Audit.DeviceCodeBrokerClient|Device Code Auth with Broker Client", "entra:user:user-victim-123", "entra:app:29d9ed98-a469-4536-ade2-f981bc1d605e", {}],
  ["Azure.Audit.DomainSettingsModified|Set Federation Settings", "entra:user:admin-attacker-123", null, {}],
  ["Azure.Audit.ElevateUserAccessAdministrator|User Elevated to User Access Administrator", "entra:user:user-admin-789", null, {}],
  ["Azure.Audit.ExcessiveAccountLockouts|Account Lockout Error 50053", "entra:user:user-001", null, {"mfa":false}],
  ["Azure.Audit.ExcessiveAccountLockouts|Microsoft Corporate ASN Excluded", "entra:user:user-ms-001", null, {"mfa":false}],
  ["Azure.Audit.ManyFailedSignIns|Failed Sign-In", "entra:sp:b1c34143-e405-4058-8e29-84596ad737b8", "entra:app:037694de-8c7d-498d-917d-edb650090fa5", {}],
  ["Azure.Audit.ManyFailedSignIns|Successful Sign-In", "entra:sp:4b6986ec-c49c-40c0-89ce-b2ac51213e39", "entra:app:9cc31481-8822-49ff-b638-552ecc26c777", {"credentialId":"entra:credential:2afc776a-4e79-4588-b2ad-f62c94d6bea8"}],
  ["Azure.Audit.GraphSessionMultipleIPs|Multiple IP Access to Same Microsoft Graph Session", "entra:user:user-123", "entra:app:app-custom-789", {"session":"session-abc-123"}],
  ["Azure.Audit.GraphSessionMultipleIPs|Non-Interactive Sign-In via NonInteractiveUserSignInLogs Category", "entra:user:3b4e2783-2b5d-4f1f-a3d9-ddc0ed1c623f", "entra:app:app-noninteractive-test-999", {"session":"00baf379-e510-523f-1c0e-346163d4a768"}],
  ["Azure.Audit.GraphSessionMultipleIPs|Whitelisted Office 365", "entra:user:user-456", "entra:app:00000003-0000-0ff1-ce00-000000000000", {"session":"session-office-456"}],
  ["Azure.Audit.HighRiskSignIn|High Risk During Sign-In", "entra:user:user123-456-789", "entra:app:00000002-0000-0ff1-ce00-111111111111", {}],
  ["Azure.Audit.HighRiskSignIn|High Risk Dismissed", "entra:user:user234-567-890", "entra:app:00000002-0000-0ff1-ce00-111111111111", {}],
  ["Azure.Audit.InviteExternalUsers|Successful Invite external user", "entra:user:123456789", "entra:user:123456789", {}],
  ["Azure.Audit.InviteExternalUsers|Unsuccessful invite", "entra:user:123456789", "entra:user:123456789", {}],
  ["Azure.Audit.LegacyAuth|Failed Sign-In", "entra:sp:b1c34143-e405-4058-8e29-84596ad737b8", "entra:app:037694de-8c7d-498d-917d-edb650090fa5", {}],
  ["Azure.Audit.LegacyAuth|Sign-In with legacy auth", "entra:user:8105c513-d24b-4b8d-9035-f8d48854d703", "entra:app:975c4feb-8c6b-4ed8-82e2-f0952ecc64d4", {"mfa":false}],
  ["Azure.Audit.LegacyAuth|Sign-In with legacy auth, KNOWN_EXCEPTION", "entra:user:8105c513-d24b-4b8d-9035-f8d48854d703", "entra:app:975c4feb-8c6b-4ed8-82e2-f0952ecc64d4", {"mfa":false}],
  ["Azure.Audit.MFADisabled|MFA Enabled", "entra:user:123456789b", "entra:policy:123456789", {}],
  ["Azure.Audit.MultipleProtectionAlerts|Risk Event Counts Toward Threshold", "entra:user:user-victim-123", null, {}],
  ["Azure.Audit.PolicyChanged|Policy Changed", "entra:user:234526234", "entra:policy:5e3cb481-2814-4295-b4cc-2440a6d66c86", {}],
  ["Azure.Audit.PolicyChanged|Policy Added", "entra:user:12345123", "entra:policy:123451516", {}],
  ["Azure.Audit.RiskLevelPassthrough|Failed Sign-In with riskLevelAggregated", "entra:sp:b1c34143-e405-4058-8e29-84596ad737b8", "entra:app:037694de-8c7d-498d-917d-edb650090fa5", {}],
  ["Azure.Audit.RiskLevelPassthrough|Failed Sign-In with riskLevelDuringSignIn and dismissed", "entra:sp:b1c34143-e405-4058-8e29-84596ad737b8", "entra:app:037694de-8c7d-498d-917d-edb650090fa5", {}],
  ["Azure.Audit.RoleChangedPIM|Successfully added PIM role", "entra:user:12345", "entra:role:12345", {}],
  ["Azure.Audit.RoleChangedPIM|Add member to role (Non PIM)", "entra:user:12345", "entra:role:12345", {}],
  ["Azure.Audit.ROPCLoginNoMFA|Failed ROPC Login", "entra:user:user-attacker-999", "entra:app:app-office-555", {"mfa":false}],
  ["Azure.Audit.ServicePrincipalCredentialsAdded|Add Service Principal Credentials", "entra:user:admin-123", "entra:sp:sp-app-456", {}],
  ["Azure.Audit.ServicePrincipalCredentialsAdded|Create Service Principal", "entra:user:admin-cloud-456", "entra:sp:sp-new-789", {}],
  ["Azure.Audit.VSCodeOAuthPhishing|VS Code to Different Resource", "entra:user:user-ghi-789", "entra:app:aebc6443-996d-45c2-90f0-388ff96faa56", {}],
];

/** Every MonitorActivity test that names its caller (identity.claims, authorization evidence or a storage identity). */
const ACTIVITY: Expected[] = [
  ["Azure.MonitorActivity.Advisor.SecurityRecommendation|Security Recommendation Available", "azure:service:Microsoft.Advisor", "/subscriptions/00000000-0000-0000-0000-111111111111/resourcegroups/example-rg/providers/microsoft.storage/storageaccounts/examplestorage", {}],
  ["Azure.MonitorActivity.KeyVault.CertificateAccessed|Certificate Accessed Successfully", "entra:app:12345678-1234-1234-1234-123456789abc", "/subscriptions/12345678-1234-1234-1234-123456789abc/resourcegroups/myresourcegroup/providers/microsoft.keyvault/vaults/myvault/certificates/app-service-cert", {}],
  ["Azure.MonitorActivity.KeyVault.CertificateAccessed|Certificate Read with Succeeded Status", "entra:app:87654321-4321-4321-4321-123456789abc", "/subscriptions/11111111-1111-1111-1111-111111111111/resourcegroups/prod-rg/providers/microsoft.keyvault/vaults/prodvault/certificates/service-principal-cert", {}],
  ["Azure.MonitorActivity.KeyVault.KeyAccessed.Recovered|Key Read Successfully", "entra:app:12345678-1234-1234-1234-123456789abc", "/subscriptions/12345678-1234-1234-1234-123456789abc/resourcegroups/myresourcegroup/providers/microsoft.keyvault/vaults/myvault/keys/encryption-key", {}],
  ["Azure.MonitorActivity.KeyVault.KeyAccessed.Recovered|Key Recovered Successfully", "entra:app:87654321-4321-4321-4321-123456789abc", "/subscriptions/11111111-1111-1111-1111-111111111111/resourcegroups/prod-rg/providers/microsoft.keyvault/vaults/prodvault/keys/signing-key", {}],
  ["Azure.MonitorActivity.KeyVault.SecretAccessedOrRecovered|Secret Accessed", "entra:app:12345678-1234-1234-1234-123456789abc", "/subscriptions/12345678-1234-1234-1234-123456789abc/resourcegroups/myresourcegroup/providers/microsoft.keyvault/vaults/myvault/secrets/database-password", {}],
  ["Azure.MonitorActivity.KeyVault.SecretAccessedOrRecovered|Soft-Deleted Secret Recovered", "entra:app:87654321-4321-4321-4321-123456789abc", "/subscriptions/12345678-1234-1234-1234-123456789abc/resourcegroups/myresourcegroup/providers/microsoft.keyvault/vaults/prodvault/secrets/admin-credentials", {}],
  ["Azure.MonitorActivity.RecoveryServices.ProtectionContainerDeleted|Protection Container Deleted Successfully", "entra:upn:compromised-admin@company.com", "/subscriptions/12345678-1234-1234-1234-123456789abc/resourcegroups/backup-rg/providers/microsoft.recoveryservices/vaults/productionbackupvault/backupfabrics/azure/protectioncontainers/iaasvmcontainer;iaasvmcontainerv2;prod-rg;prod-vm-001", {}],
  ["Azure.MonitorActivity.Authorization.ResourceLockDeleted|Resource Lock Deleted Successfully", "entra:upn:compromised-admin@company.com", "/subscriptions/12345678-1234-1234-1234-123456789abc/resourcegroups/critical-data-rg/providers/microsoft.storage/storageaccounts/criticaldata001/providers/microsoft.authorization/locks/donotdelete", {}],
  ["Azure.MonitorActivity.RoleAssignment.PrivilegedOrElevated|Owner Role Assignment", "entra:user:6b6d44f0-b13a-46a0-bfde-161324d4c34d", "/subscriptions/12345678-1234-1234-1234-123456789abc/providers/microsoft.authorization/roleassignments/a1b2c3d4-e5f6-7890-abcd-ef1234567890", {}],
  ["Azure.MonitorActivity.RoleAssignment.PrivilegedOrElevated|Non-Privileged Role Assignment", "entra:user:6b6d44f0-b13a-46a0-bfde-161324d4c34d", "/subscriptions/12345678-1234-1234-1234-123456789abc/providers/microsoft.authorization/roleassignments/c3d4e5f6-a7b8-9012-cdef-111111111111", {}],
  ["Azure.MonitorActivity.RoleAssignment.PrivilegedOrElevated|Elevated Role Assignment (Storage Blob Data Owner)", "entra:user:6b6d44f0-b13a-46a0-bfde-161324d4c34d", "/subscriptions/12345678-1234-1234-1234-123456789abc/providers/microsoft.authorization/roleassignments/d4e5f6a7-b8c9-0123-def4-111111111111", {}],
  ["Azure.MonitorActivity.RoleAssignment.PrivilegedOrElevated|Elevate Access to All Azure Subscriptions", "entra:upn:attacker@example.com", "/providers/microsoft.authorization", {}],
  ["Azure.MonitorActivity.StorageAccount.SharedKeyAccessEnabled|Shared Key Access Enabled", "entra:upn:denethor@lotr.com", "/subscriptions/12345678-1234-1234-1234-123456789abc/resourcegroups/myresourcegroup/providers/microsoft.storage/storageaccounts/mystorageaccount", {}],
  ["Azure.MonitorActivity.StorageAccount.KeysListed|Storage Account Keys Listed", "entra:upn:denethor@lotr.com", "/subscriptions/12345678-1234-1234-1234-123456789abc/resourcegroups/prod-rg/providers/microsoft.storage/storageaccounts/prodstorage123", {}],
  ["Azure.MonitorActivity.StorageAccount.PublicNetworkAccessEnabled|Public Access Enabled", "entra:upn:denethor@lotr.com", "/subscriptions/12345678-1234-1234-1234-123456789abc/resourcegroups/myresourcegroup/providers/microsoft.storage/storageaccounts/mystorageaccount", {}],
  ["Azure.MonitorActivity.StorageAccount.VersioningDisabled|Versioning Disabled", "entra:upn:denethor@lotr.com", "/subscriptions/12345678-1234-1234-1234-123456789abc/resourcegroups/myresourcegroup/providers/microsoft.storage/storageaccounts/mystorageaccount/blobservices/default", {}],
  ["Azure.MonitorActivity.Storage.Blob.CPKEncryptionDetected|CPK Encrypted Blob Access Denied", "azure:storage-key:mystorageaccount/key1", "/subscriptions/12345678-1234-1234-1234-123456789abc/resourcegroups/myresourcegroup/providers/microsoft.storage/storageaccounts/mystorageaccount/blobservices/default", {"credentialId":"azure:sas:mystorageaccount/EXAMPLE_HASH"}],
  ["Azure.MonitorActivity.Storage.ImmutabilityPolicyDeleted|Immutability Policy Deleted Successfully", "entra:upn:attacker@example.com", "/subscriptions/12345678-1234-1234-1234-123456789abc/resourcegroups/data-rg/providers/microsoft.storage/storageaccounts/criticaldata001/blobservices/default/containers/backups/immutabilitypolicies/default", {}],
  ["Azure.MonitorActivity.Storage.SASTokenExternalAccess|Storage Account Key Auth from External IP", "azure:storage-key:publicdata", "https://publicdata.blob.core.windows.net/downloads/file.pdf", {}],
];

const title = (t: string) => `${t}${hasPanther ? '' : ` (${SKIP_DATASETS})`}`;

describe.skipIf(!hasPanther)(title('Entra sign-in and audit conformance (panther-analysis Azure.Audit)'), () => {
  it('parses all 47 Azure.Audit tests: sign-ins (user, non-interactive, service principal) and directory audits', async () => {
    const { tests, connector, parsed } = await parsePanther('Azure.Audit');
    expect(['entra-signin-log', 'entra-audit-log']).toContain(connector);
    expect(tests).toHaveLength(47);
    expect(parsed.rejects).toEqual([]);
    expect(parsed.items).toHaveLength(47);
    for (const item of parsed.items) expectValid(item.records!);
    const actions = parsed.of('event').map((e) => e.action);
    expect(actions.filter((a) => a === 'ServicePrincipalSignIn')).toHaveLength(8);
    expect(actions.filter((a) => a === 'UserSignIn' || a === 'NonInteractiveUserSignIn')).toHaveLength(18);
    expect(actions.filter((a) => !a.endsWith('SignIn'))).toHaveLength(21);
  });

  it(`gives the hand-checked actor, target and chain for ${AUDIT.length} records`, async () => {
    const { byKey } = await parsePanther('Azure.Audit');
    expect(AUDIT.length).toBeGreaterThanOrEqual(20);
    checkRows(byKey, AUDIT);
  });

  it('raises ID Protection alerts only for sign-ins at risk or confirmed compromised', async () => {
    const { byKey, parsed } = await parsePanther('Azure.Audit');
    expect(parsed.of('alert').map((a) => [a.rule, a.severity, a.identities])).toEqual([
      ['riskySignIn', 'high', ['entra:user:user123-456-789']],
      ['riskySignIn', 'critical', ['entra:user:user-victim-123']],
    ]);
    // Dismissed risk is not an alert.
    expect(byKey.get('Azure.Audit.HighRiskSignIn|High Risk Dismissed')!.records!.some((r) => r.kind === 'alert')).toBe(false);
  });

  it('observes the app credential signing in as its service principal', async () => {
    const { byKey } = await parsePanther('Azure.Audit');
    const obs = byKey.get('Azure.Audit.ManyFailedSignIns|Successful Sign-In')!.records!.filter((r) => r.kind === 'observation').map((r) => r.value);
    expect(obs).toEqual([expect.objectContaining({ from: 'entra:app:3b245ca3-dcce-4a54-a070-49ad8de02963', kind: 'runs_as', to: 'entra:sp:4b6986ec-c49c-40c0-89ce-b2ac51213e39' })]);
    // A failed one shows nothing.
    expect(byKey.get('Azure.Audit.ManyFailedSignIns|Failed Sign-In')!.records!.some((r) => r.kind === 'observation')).toBe(false);
  });
});

describe.skipIf(!hasPanther)(title('Azure Activity Log conformance (panther-analysis Azure.MonitorActivity)'), () => {
  it('parses the 20 of 214 tests that name a caller and rejects the 194 partial ones for their missing caller', async () => {
    const { tests, connector, parsed } = await parsePanther('Azure.MonitorActivity');
    expect(connector).toBe('azure-activity-log');
    expect(tests).toHaveLength(214);
    expect(parsed.items).toHaveLength(214);
    expect(parsed.items.length - parsed.rejects.length).toBe(20);
    expect(new Set(parsed.rejects.map((r) => r.reason))).toEqual(new Set(['missing caller (no identity.claims, claims, authorization evidence or caller)']));
    for (const item of parsed.items) if (item.records) expectValid(item.records);
  });

  it('gives the hand-checked actor, target and chain for all 20', async () => {
    const { byKey } = await parsePanther('Azure.MonitorActivity');
    expect(ACTIVITY).toHaveLength(20);
    checkRows(byKey, ACTIVITY);
  });

  it('reads the role assignment a write creates and keeps request bodies redacted', async () => {
    const { byKey } = await parsePanther('Azure.MonitorActivity');
    const ev = byKey.get('Azure.MonitorActivity.RoleAssignment.PrivilegedOrElevated|Owner Role Assignment')!.records!.find((r) => r.kind === 'event')!.value as { detail: Record<string, unknown>; resources: string[] };
    expect(ev.detail.roleAssignment).toEqual({
      principal: 'entra:sp:770797c4-e05a-43f9-bda2-1f1f379987ae', principalType: 'ServicePrincipal', roleDefinitionId: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635', scope: '/subscriptions/12345678-1234-1234-1234-123456789abc',
    });
    expect(ev.resources).toContain('entra:sp:770797c4-e05a-43f9-bda2-1f1f379987ae');
  });
});
