import { z } from 'zod';

/**
 * What a caller may do through the copilot. Read scopes follow the data a tool returns, so that a
 * CISO's token sees posture and incidents but not the raw delegation graph; the only writes are to
 * the copilot's own data (incident status), ingestion and its own administration.
 */
export const Scope = z.enum([
  'read:inventory', 'read:graph', 'read:risk', 'read:incidents', 'read:briefing',
  'write:incidents', 'write:ingest', 'admin:audit', 'admin:tokens',
]);
export type Scope = z.infer<typeof Scope>;
export const ALL_SCOPES: readonly Scope[] = Scope.options;
export const READ_SCOPES: readonly Scope[] = ALL_SCOPES.filter((s) => s.startsWith('read:'));

export const Role = z.enum(['analyst', 'oncall', 'ciso', 'ingest', 'admin']);
export type Role = z.infer<typeof Role>;

export const ROLE_SCOPES: Record<Role, readonly Scope[]> = {
  analyst: [...READ_SCOPES, 'write:incidents'],
  oncall: ['read:incidents', 'read:graph', 'write:incidents'],
  ciso: ['read:briefing', 'read:risk', 'read:incidents'],
  ingest: ['write:ingest'],
  admin: ALL_SCOPES,
};

/**
 * Role presets and single scopes, mixed (`analyst,admin:audit`), to a sorted, distinct scope list.
 * Anything else is refused by name: a typo must never widen or silently narrow a grant.
 */
export function resolveScopes(names: readonly string[]): { scopes: Scope[]; roles: Role[] } {
  const scopes = new Set<Scope>();
  const roles: Role[] = [];
  for (const raw of names.flatMap((n) => n.split(',')).map((n) => n.trim()).filter(Boolean)) {
    const role = Role.safeParse(raw);
    if (role.success) {
      roles.push(role.data);
      for (const s of ROLE_SCOPES[role.data]) scopes.add(s);
      continue;
    }
    const scope = Scope.safeParse(raw);
    if (!scope.success) {
      throw new Error(`unknown role or scope "${raw}" (roles: ${Role.options.join(', ')}; scopes: ${ALL_SCOPES.join(', ')})`);
    }
    scopes.add(scope.data);
  }
  return { scopes: ALL_SCOPES.filter((s) => scopes.has(s)), roles: [...new Set(roles)] };
}

export function hasScope(granted: readonly string[], needed: Scope | null | undefined): boolean {
  return !needed || granted.includes(needed);
}
