import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LocalPostgres {
  url: string;
  stop(): void;
}

/** The newest PostgreSQL server binaries on this machine (Debian layout), or null. */
export function findPgBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  for (const v of readdirSync(root).sort((a, b) => Number(b) - Number(a))) {
    const bin = join(root, v, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'postgres'))) {
      // initdb and pg_ctl refuse root: as root they run as the postgres user, which must exist.
      if (process.getuid?.() === 0 && spawnSync('id', ['postgres']).status !== 0) return null;
      return bin;
    }
  }
  return null;
}

/**
 * Start a throwaway PostgreSQL server on loopback (for tests and benchmarks): a fresh data directory,
 * trust auth, fsync off (speed; the data is disposable). Returns null where no server binaries exist.
 */
export function startLocalPostgres(opts: { fsync?: boolean } = {}): LocalPostgres | null {
  const bin = findPgBin();
  if (!bin) return null;
  const dir = mkdtempSync(join(tmpdir(), 'idcopilot-pg-'));
  chmodSync(dir, 0o777);
  const asPostgres = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]) =>
    asPostgres
      ? execFileSync('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args], { stdio: 'pipe' })
      : execFileSync(join(bin, cmd), args, { stdio: 'pipe' });
  run('initdb', ['-D', join(dir, 'data'), '--auth=trust', '-U', 'postgres', '-E', 'UTF8']);
  // A random port can be taken (another test run, another server): try a few before giving up.
  let port = 0;
  for (let attempt = 0; ; attempt++) {
    port = 55000 + Math.floor(Math.random() * 5000);
    const settings = [`-p ${port}`, '-c listen_addresses=127.0.0.1', `-c unix_socket_directories=${dir}`, '-c max_connections=200', `-c fsync=${opts.fsync ? 'on' : 'off'}`, '-c shared_buffers=128MB'];
    try {
      run('pg_ctl', ['-D', join(dir, 'data'), '-o', settings.join(' '), '-l', join(dir, 'log'), '-w', '-t', '60', 'start']);
      break;
    } catch (err) {
      if (attempt >= 4) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    stop() {
      try {
        run('pg_ctl', ['-D', join(dir, 'data'), '-m', 'immediate', 'stop']);
      } catch {
        /* already stopped */
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The PostgreSQL server a benchmark runs against: BENCH_DATABASE_URL when set (left running), else a
 * throwaway local one (stopped by `stop()`), else null with a notice that the server run is skipped.
 */
export function benchPostgres(opts: { fsync?: boolean } = {}): LocalPostgres | null {
  if (process.env.BENCH_DATABASE_URL) return { url: process.env.BENCH_DATABASE_URL, stop() {} };
  const local = startLocalPostgres(opts);
  if (!local) process.stderr.write('no PostgreSQL server (set BENCH_DATABASE_URL or install postgresql): skipping the server run\n');
  return local;
}
