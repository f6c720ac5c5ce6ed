import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Vitest global setup: make a real PostgreSQL server available to the integration tests.
 * TEST_DATABASE_URL (set by .ci/run) wins; otherwise, where the machine has PostgreSQL server binaries,
 * a throwaway server is started on loopback for the run and stopped after it. Without either, the
 * PostgreSQL half of the integration tests is skipped with a message saying why.
 */
let stop: (() => void) | null = null;

export default function setup({ provide }: { provide: (key: string, value: unknown) => void }) {
  if (process.env.TEST_DATABASE_URL) {
    provide('pgUrl', process.env.TEST_DATABASE_URL);
    return;
  }
  if (process.env.IDCOPILOT_TEST_NO_PG === '1') {
    provide('pgUrl', null);
    return;
  }
  const bin = findPgBin();
  if (!bin) {
    provide('pgUrl', null);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'idcopilot-pg-'));
  chmodSync(dir, 0o777);
  const asPostgres = process.getuid?.() === 0;
  const run = (cmd: string, args: string[]) =>
    asPostgres ? execFileSync('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args], { stdio: 'pipe' }) : execFileSync(join(bin, cmd), args, { stdio: 'pipe' });
  const port = 55000 + Math.floor(Math.random() * 5000);
  try {
    run('initdb', ['-D', join(dir, 'data'), '--auth=trust', '-U', 'postgres', '-E', 'UTF8']);
    run('pg_ctl', ['-D', join(dir, 'data'), '-o', `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c fsync=off`, '-l', join(dir, 'log'), '-w', 'start']);
  } catch (err) {
    console.warn(`[tests] could not start a PostgreSQL server (${(err as Error).message.split('\n')[0]}); PostgreSQL tests will be skipped`);
    provide('pgUrl', null);
    return;
  }
  stop = () => {
    try {
      run('pg_ctl', ['-D', join(dir, 'data'), '-m', 'immediate', 'stop']);
    } catch {
      /* already stopped */
    }
    rmSync(dir, { recursive: true, force: true });
  };
  provide('pgUrl', `postgresql://postgres@127.0.0.1:${port}/postgres`);
}

export function teardown() {
  stop?.();
}

function findPgBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  for (const v of readdirSync(root).sort().reverse()) {
    const bin = join(root, v, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'postgres'))) {
      if (process.getuid?.() === 0 && spawnSync('id', ['postgres']).status !== 0) return null;
      return bin;
    }
  }
  return null;
}
