import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = join(ROOT, 'bin', 'idcopilot.js');

/** Run the real CLI as a user would, in a child process. */
export function idcopilot(args: string[], opts: { env?: Record<string, string | undefined>; cwd?: string; input?: string; timeoutMs?: number } = {}): SpawnSyncReturns<string> & { json: () => any } {
  const env = { ...process.env, ...opts.env };
  if (!('DATABASE_URL' in (opts.env ?? {}))) delete env.DATABASE_URL;
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, env, encoding: 'utf8', input: opts.input, timeout: opts.timeoutMs ?? 120_000 });
  return Object.assign(r, { json: () => JSON.parse(r.stdout) });
}

/** Start the CLI (or a script) in the background; resolves once `ready` appears on stdout or stderr. */
export function startBackground(args: string[], ready: RegExp, opts: { env?: Record<string, string | undefined>; node?: boolean } = {}) {
  const child = spawn(process.execPath, opts.node ? args : [BIN, ...args], { cwd: ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const readyPromise = new Promise<void>((res, rej) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      if (ready.test(out)) res();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => rej(new Error(`exited with ${code} before ready: ${out}`)));
  });
  return { child, ready: readyPromise, output: () => out };
}
