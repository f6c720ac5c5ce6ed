import { userInfo } from 'node:os';
import { z } from 'zod';
import { localPrincipalName, PrincipalKind } from './ids.js';
import { ROLE_SCOPES, Scope } from './scopes.js';

export const Transport = z.enum(['stdio', 'http', 'cli', 'internal']);
export type Transport = z.infer<typeof Transport>;

/** Who is calling, through what, with which scopes: resolved once per request or command. */
export const Principal = z.object({
  name: z.string().min(1),
  kind: PrincipalKind,
  scopes: z.array(Scope),
  transport: Transport,
  /** The bearer token's public id on HTTP; null for the local user. */
  tokenId: z.string().nullable(),
  /** Unix seconds; the local user's grant lasts as long as the process. */
  expiresAt: z.number().nullable(),
});
export type Principal = z.infer<typeof Principal>;

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

/**
 * The local user on stdio and the CLI: whoever can open the data directory can read it anyway, so the
 * grant is the analyst preset unless the operator narrows it (`serve --stdio --role ciso`).
 */
export function localPrincipal(transport: 'stdio' | 'cli', scopes: readonly Scope[] = ROLE_SCOPES.analyst): Principal {
  return { name: localPrincipalName(osUser()), kind: 'human', scopes: [...scopes], transport, tokenId: null, expiresAt: null };
}
