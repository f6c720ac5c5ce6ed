import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CopilotError } from '../lib/errors.js';

export interface StoreLock {
  release(): void;
}

interface LockInfo {
  pid: number;
  host: string;
  command: string;
  since: string;
}

const held = new Set<string>();
process.once('exit', () => {
  for (const path of held) {
    try {
      unlinkSync(path);
    } catch {
      /* already gone */
    }
  }
});

/**
 * PGlite lets one process open a data directory at a time. This lock says so at once, names the
 * holder, and takes over a lock left by a process that no longer runs (killed with SIGKILL).
 */
export function acquireStoreLock(dataDir: string, command: string): StoreLock {
  const path = join(dataDir, 'idcopilot.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      const info: LockInfo = { pid: process.pid, host: hostname(), command, since: new Date().toISOString() };
      writeSync(fd, JSON.stringify(info));
      closeSync(fd);
      held.add(path);
      return {
        release() {
          if (!held.delete(path)) return;
          try {
            unlinkSync(path);
          } catch {
            /* already gone */
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (held.has(path)) {
        throw new CopilotError('E_STORE_LOCKED', `the store ${dataDir} is already open in this process`);
      }
      const holder = readHolder(path);
      if (holder && holder.host === hostname() && isAlive(holder.pid)) {
        throw new CopilotError(
          'E_STORE_LOCKED',
          `the store ${dataDir} is in use by process ${holder.pid} (\`idcopilot ${holder.command}\`, since ${holder.since}). ` +
            'The embedded store admits one process at a time: stop that process, or point this command at another --data directory, ' +
            'or use a PostgreSQL server (DATABASE_URL) for concurrent access.',
          { holder },
        );
      }
      if (holder && holder.host !== hostname()) {
        throw new CopilotError('E_STORE_LOCKED', `the store ${dataDir} is locked by host ${holder.host} (pid ${holder.pid}); remove ${path} only if that host no longer uses it`, { holder });
      }
      // Stale: the holder is gone (or it is ourselves after a crash in the same pid). Take it over.
      try {
        unlinkSync(path);
      } catch {
        /* raced with another taker */
      }
    }
  }
  throw new CopilotError('E_STORE_LOCKED', `could not lock the store ${dataDir}`);
}

function readHolder(path: string): LockInfo | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
