import { startLocalPostgres, type LocalPostgres } from '../../evals/lib/local-pg.js';

/**
 * Vitest global setup: make a real PostgreSQL server available to the integration tests.
 * TEST_DATABASE_URL (set by .ci/run) wins; otherwise, where the machine has PostgreSQL server binaries,
 * a throwaway server is started on loopback for the run and stopped after it. Without either, the
 * PostgreSQL half of the integration tests is skipped with a message saying why.
 */
let server: LocalPostgres | null = null;

export default function setup({ provide }: { provide: (key: string, value: unknown) => void }) {
  if (process.env.TEST_DATABASE_URL) {
    provide('pgUrl', process.env.TEST_DATABASE_URL);
    return;
  }
  if (process.env.IDCOPILOT_TEST_NO_PG === '1') {
    provide('pgUrl', null);
    return;
  }
  try {
    server = startLocalPostgres();
  } catch (err) {
    console.warn(`[tests] could not start a PostgreSQL server (${(err as Error).message.split('\n')[0]}); PostgreSQL tests will be skipped`);
  }
  provide('pgUrl', server?.url ?? null);
}

export function teardown() {
  server?.stop();
}
