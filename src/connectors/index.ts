import { ConnectorRegistry } from './registry.js';
import { connector as awsCredentialReport } from './aws-credential-report/index.js';
import { connector as awsIamAuthz } from './aws-iam-authz/index.js';
import { connector as awsCloudTrail } from './aws-cloudtrail/index.js';
import { connector as awsResourceTags } from './aws-resource-tags/index.js';
import { connector as hrRoster } from './hr-roster/index.js';
import { connector as ownershipMap } from './ownership-map/index.js';
import { connector as oktaInventory } from './okta-inventory/index.js';
import { connector as oktaSystemLog } from './okta-system-log/index.js';
import { connector as azureActivityLog } from './azure-activity-log/index.js';
import { connector as entraInventory } from './entra-inventory/index.js';
import { connectors as entraLogs } from './entra-log/index.js';
import { connector as gcpAuditLog } from './gcp-audit-log/index.js';
import { connector as gcpIam } from './gcp-iam/index.js';
import { connector as githubAuditLog } from './github-audit-log/index.js';
import { connector as githubInventory } from './github-inventory/index.js';
import { connector as githubSecretScanning } from './github-secret-scanning/index.js';
import { connector as k8sAuditLog } from './k8s-audit-log/index.js';
import { connector as k8sRbac } from './k8s-rbac/index.js';
import { connector as agentRegistry } from './agent-registry/index.js';
import { connector as mcpClientConfig } from './mcp-client-config/index.js';
import { connector as openaiAdmin } from './openai-admin/index.js';
import { connector as openaiAudit } from './openai-audit/index.js';
import { connector as anthropicAdmin } from './anthropic-admin/index.js';
import { connector as anthropicActivity } from './anthropic-activity/index.js';
import { connector as awsIdentityCenter } from './aws-identity-center/index.js';
import { connector as awsGuardDuty } from './aws-guardduty/index.js';
import { connector as awsSecurityHub } from './aws-securityhub/index.js';
import { connector as ocsfFindings } from './ocsf-findings/index.js';
import { connector as genericAlerts } from './generic-alerts/index.js';
// One import per source (keep the list sorted by provider, then kind).

/** All connectors shipped with identity-copilot. */
export const registry = new ConnectorRegistry([
  oktaInventory, oktaSystemLog, entraInventory, ...entraLogs, azureActivityLog,
  awsIamAuthz, awsCredentialReport, awsResourceTags,
  gcpIam, gcpAuditLog, githubInventory, githubAuditLog, githubSecretScanning, k8sRbac, k8sAuditLog,
  awsCloudTrail, hrRoster, ownershipMap,
  agentRegistry, mcpClientConfig, openaiAdmin, openaiAudit, anthropicAdmin, anthropicActivity, awsIdentityCenter,
  awsGuardDuty, awsSecurityHub, ocsfFindings, genericAlerts,
  // connectors: add new sources here
]);

export type { Connector, SourceItem, ParseOptions, Sample } from './contract.js';
