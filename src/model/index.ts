/** The canonical model: every type in identity-copilot is inferred from these zod schemas. */
export * from './common.js';
export * from './identity.js';
export * from './credential.js';
export * from './edge.js';
export * from './entitlement.js';
export * from './event.js';
export * from './alert.js';
export * from './resource.js';
export * from './ownership.js';
export * from './finding.js';
export * from './incident.js';
export * from './records.js';
export * from './contracts.js';
export * from './config.js';
export * from './triage.js';
export * from './briefing.js';
