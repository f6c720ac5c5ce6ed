/** The copilot's own identity, scopes and role presets, bearer tokens, and the hash-chained audit log. */
export * from './scopes.js';
export * from './ids.js';
export * from './principal.js';
export * from './record.js';
export { canonicalJson, digest } from './canonical.js';
export { GENESIS, auditKeyFromEnv, hashRecord, type AuditKey } from './chain.js';
export { AuditLog, rowToRecord, type AuditLogOptions } from './log.js';
export { verifyAudit, verifyRecords, AuditVerification, AuditProblem, type VerifyOptions } from './verify.js';
export { exportAudit, readExport, parseSince } from './export.js';
export { ensureCopilotIdentity, type CopilotIdentityOptions } from './identity.js';
export * from './tokens.js';
export { auditCommand } from './cli.js';
