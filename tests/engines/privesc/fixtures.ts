import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connector as awsIamAuthz } from '../../../src/connectors/aws-iam-authz/index.js';
import { connector as gcpIam } from '../../../src/connectors/gcp-iam/index.js';
import { connector as k8sRbac } from '../../../src/connectors/k8s-rbac/index.js';
import { ConnectorRegistry } from '../../../src/connectors/registry.js';
import { deriveAfterIngest } from '../../../src/engines/derive.js';
import { ingestPaths } from '../../../src/ingest/pipeline.js';
import type { Db } from '../../../src/store/index.js';

/** The permissions fixtures (real vendor formats), read by the real connectors. */
export const FIXTURES = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../fixtures/permissions');
export const fixture = (name: string) => join(FIXTURES, name);

/** Only the connectors these tests need: the shared registry changes under other engineers' work. */
export const registry = new ConnectorRegistry([awsIamAuthz, k8sRbac, gcpIam]);

export async function ingest(db: Db, paths: string[], opts: { cluster?: string } = {}): Promise<void> {
  const r = await ingestPaths(db, paths, { registry, ...opts });
  const bad = r.files.filter((f) => f.error || f.rejected);
  if (bad.length) throw new Error(`fixture ingest failed: ${JSON.stringify(bad)}`);
  await deriveAfterIngest(db);
}

export const A = '111111111111';
export const user = (n: string) => `arn:aws:iam::${A}:user/${n}`;
export const role = (n: string, path = '/') => `arn:aws:iam::${A}:role${path}${n}`;
