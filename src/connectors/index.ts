import { ConnectorRegistry } from './registry.js';
import { connector as awsCredentialReport } from './aws-credential-report/index.js';
import { connector as awsIamAuthz } from './aws-iam-authz/index.js';
import { connector as awsResourceTags } from './aws-resource-tags/index.js';
import { connector as oktaInventory } from './okta-inventory/index.js';
import { connector as oktaSystemLog } from './okta-system-log/index.js';
// One import per source (keep the list sorted by provider, then kind).

/** All connectors shipped with identity-copilot. */
export const registry = new ConnectorRegistry([
  oktaInventory, oktaSystemLog,
  awsIamAuthz, awsCredentialReport, awsResourceTags,
  // connectors: add new sources here
]);

export type { Connector, SourceItem, ParseOptions, Sample } from './contract.js';
