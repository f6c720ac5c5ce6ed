import { z } from 'zod';

/**
 * Ids of the copilot's own identities, in the project's `provider:type:native-id` form: the agent
 * itself, and each principal that drives it (a token holder, or the local user on stdio and the CLI).
 */
export const agentId = (name: string): string => `copilot:agent:${name}`;
export const principalId = (name: string): string => `copilot:principal:${name}`;
export const tokenCredentialId = (tokenId: string): string => `copilot:token:${tokenId}`;
export const auditEventId = (writer: string, n: number): string => `copilot:audit:${writer}:${n}`;

/**
 * A principal name is an id fragment, never an email or a display name: lower-case letters, digits,
 * `.`, `_`, `-`. `local:<user>` (the operating-system user) and `anonymous` are reserved.
 */
export const PrincipalName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'a principal name is 1-63 characters of a-z, 0-9, ".", "_", "-" (not an email)')
  .refine((n) => n !== 'anonymous', 'the name "anonymous" is reserved');

export const PrincipalKind = z.enum(['human', 'service_account', 'bot', 'ai_agent']);
export type PrincipalKind = z.infer<typeof PrincipalKind>;

/** The operating-system user that runs the CLI or a stdio server: the caller on those transports. */
export function localPrincipalName(user: string): string {
  return `local:${user.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').slice(0, 56) || 'unknown'}`;
}
