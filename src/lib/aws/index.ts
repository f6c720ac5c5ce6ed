/** Shared AWS helpers: ARNs, tags, ids, privilege classification and well-known managed policies. */
export * from './arn.js';
export * from './ids.js';
export * from './managed-policies.js';
export * from './privilege.js';
export * from './tags.js';
export * from './attributes.js';
