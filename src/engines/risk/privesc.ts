import type { Db } from '../../store/index.js';

/**
 * Privilege-escalation paths for NHI5, from the privesc engine (src/engines/privesc) when the build
 * has it: principals that are not administrators but can make themselves one. Loaded lazily and
 * defensively, so that risk scoring works (on entitlement levels) without that engine, and says
 * which source it used.
 */
export interface PrivescPath {
  identityId: string;
  evidence: string[];
  detail: string;
}

export interface PrivescSource {
  name: string;
  find(db: Db): Promise<PrivescPath[]>;
}

interface EngineStep { from: string; to: string; via: string; evidence?: string[] }
interface EnginePrincipal { id: string; isAdmin: boolean; escalates: boolean; escalation: string; steps: number | null; paths: { steps: EngineStep[] }[] }
type EngineFn = (db: Db, opts: { maxPaths?: number; maxDepth?: number }) => Promise<{ principals: EnginePrincipal[] }>;

export async function externalPrivesc(): Promise<PrivescSource | null> {
  let mod: { privesc?: unknown } | null = null;
  try {
    mod = (await import('../privesc/index.js')) as { privesc?: unknown };
  } catch {
    return null;
  }
  if (typeof mod?.privesc !== 'function') return null;
  const run = mod.privesc as EngineFn;
  return {
    name: 'privesc engine',
    async find(db) {
      const result = await run(db, { maxPaths: 1 });
      const out: PrivescPath[] = [];
      for (const p of result.principals) {
        if (p.isAdmin || !p.escalates) continue;
        const steps = p.paths[0]?.steps ?? [];
        const evidence = [...new Set(steps.flatMap((s) => [...(s.evidence ?? []), s.to]))];
        const route = steps.map((s) => `${s.via} -> ${s.to}`).join(', ');
        out.push({
          identityId: p.id,
          evidence,
          detail: `can make itself an administrator in ${p.steps ?? steps.length} step(s) (${p.escalation})${route ? `: ${route}` : ''}`,
        });
      }
      return out;
    },
  };
}
