import { z } from 'zod';
import { Attributes, IsoTime, Origin } from './common.js';
import { IdentityId } from './identity.js';

export const CredentialType = z.enum([
  'access_key', 'session_key', 'api_token', 'personal_access_token', 'client_secret', 'certificate',
  'ssh_key', 'deploy_key', 'service_account_key', 'oauth_refresh_token', 'password',
]);
export type CredentialType = z.infer<typeof CredentialType>;

export const CredentialStatus = z.enum(['active', 'inactive', 'expired', 'revoked', 'unknown']);
export type CredentialStatus = z.infer<typeof CredentialStatus>;

/**
 * A credential belongs to the identity it authenticates as. It carries a fingerprint, never the
 * secret: `fingerprint()` in src/lib/secrets.ts hashes whatever identifies it.
 */
export const Credential = z.object({
  id: z.string().min(3),
  identityId: IdentityId,
  type: CredentialType,
  fingerprint: z.string().regex(/^sha256:[0-9a-f]{16,64}$/),
  createdAt: IsoTime.nullable().default(null),
  lastUsedAt: IsoTime.nullable().default(null),
  expiresAt: IsoTime.nullable().default(null),
  lastRotatedAt: IsoTime.nullable().default(null),
  status: CredentialStatus.default('unknown'),
  attributes: Attributes.default({}),
  origin: Origin.default('inventory'),
});
export type Credential = z.infer<typeof Credential>;
export type CredentialInput = z.input<typeof Credential>;
