import { ConnectorRegistry } from './registry.js';
import { connector as oktaInventory } from './okta-inventory/index.js';
import { connector as oktaSystemLog } from './okta-system-log/index.js';
// One import per source (keep the list sorted by provider, then kind).

/** All connectors shipped with identity-copilot. */
export const registry = new ConnectorRegistry([
  oktaInventory, oktaSystemLog,
  // connectors: add new sources here
]);

export type { Connector, SourceItem, ParseOptions, Sample } from './contract.js';
