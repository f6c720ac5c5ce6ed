import type { CanonicalRecord, RecordKind } from '../../src/model/index.js';
import { RECORD_SCHEMAS } from '../../src/model/index.js';
import { BulkWriter, type Db } from '../../src/store/index.js';

/** Load canonical records straight into a store (validated like ingest does), for engine tests. */
export async function seed(db: Db, records: CanonicalRecord[]): Promise<void> {
  await db.transaction(async (tx) => {
    const w = new BulkWriter(tx);
    for (const r of records) {
      const schema = RECORD_SCHEMAS[r.kind as RecordKind];
      w.add({ kind: r.kind, value: schema.parse(r.value) } as never);
    }
    await w.flush();
  });
}
