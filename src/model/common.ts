import { z } from 'zod';

/** ISO-8601 timestamp with a zone; connectors normalise every vendor time to UTC with `toIso`. */
export const IsoTime = z.iso.datetime({ offset: true });
export type IsoTime = z.infer<typeof IsoTime>;

export const Severity = z.enum(['info', 'low', 'medium', 'high', 'critical']);
export type Severity = z.infer<typeof Severity>;
export const SEVERITY_RANK: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

/**
 * Where the identity data came from. Providers are the systems that issue identities;
 * `hr` and `cmdb` hold ownership, `copilot` is this tool's own identity.
 */
export const Provider = z.enum([
  'aws', 'okta', 'entra', 'azure', 'github', 'gcp', 'k8s', 'agent', 'mcp',
  'openai', 'anthropic', 'hr', 'cmdb', 'slack', 'generic', 'copilot',
]);
export type Provider = z.infer<typeof Provider>;

export const Environment = z.enum(['prod', 'staging', 'dev', 'unknown']);
export type Environment = z.infer<typeof Environment>;

/** The human-machine spectrum: how much an agent or automation decides on its own. */
export const Autonomy = z.enum(['none', 'assisted', 'partial', 'full']);
export type Autonomy = z.infer<typeof Autonomy>;

/** String tags as vendors keep them (AWS tags, labels, annotations). */
export const Tags = z.record(z.string(), z.string());
/** Free-form, provider-specific facts that no engine relies on by name without a fallback. */
export const Attributes = z.record(z.string(), z.unknown());

/**
 * How a record became known: an inventory export states it, an engine derived it, a log shows it, or
 * an alert only names it. Facts rank in that order when two records describe the same id: an alert
 * that rebuilds a principal's ARN without its path must not overwrite what CloudTrail recorded.
 */
export const Origin = z.enum(['inventory', 'log', 'derived', 'alert']);
export type Origin = z.infer<typeof Origin>;
