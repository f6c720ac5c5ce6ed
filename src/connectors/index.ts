import { ConnectorRegistry } from './registry.js';
// One import per source (keep the list sorted by provider, then kind).

/** All connectors shipped with identity-copilot. */
export const registry = new ConnectorRegistry([
  // connectors: add new sources here
]);

export type { Connector, SourceItem, ParseOptions, Sample } from './contract.js';
