import type { CanonicalRecord } from '../model/index.js';
import type { SourceFile } from './shared/source-file.js';

/**
 * The one contract every source follows (src/connectors/<source>/index.ts):
 *
 *   detect(sample) -> confidence 0..1 that the file is this connector's format (0: not mine)
 *   parse(file, options) -> batches of source items, streamed, each item one record of the file
 *                           turned into canonical records, or rejected with a reason
 *
 * Connectors never touch the database: loading is the store's job. A file that cannot be read as the
 * format throws FormatError (nothing of it is written); a bad record inside a readable file is a
 * `reject` item (the rest loads).
 */
export interface Connector {
  /** Stable name used by `--source` and in ingest results, e.g. `aws-cloudtrail`. */
  readonly name: string;
  readonly title: string;
  readonly category: 'inventory' | 'log' | 'alerts' | 'ownership';
  /** The command or export that produces the file, shown by `ingest --help` and docs/connectors.md. */
  readonly produces: string;
  detect(sample: Sample): number;
  parse(file: SourceFile, options: ParseOptions): AsyncIterable<SourceItem[]>;
}

export interface Sample {
  path: string;
  name: string;
  /** Up to 64 KiB of decompressed text from the start of the file. */
  head: string;
}

export interface ParseOptions {
  /** `--owner PERSON` for files that do not say whose they are (MCP client configs). */
  owner?: string;
  /** The time the ingest runs; connectors use the data's own times where the data has them. */
  now: Date;
  /** `--cluster NAME` for Kubernetes files that do not say which cluster they describe. */
  cluster?: string;
}

/** One record of the source file: what it became, or why it was rejected. */
export interface SourceItem {
  /** Zero-based index of the record in its file. */
  index: number;
  /** 1-based line in the file where known. */
  line?: number;
  records?: CanonicalRecord[];
  reject?: string;
}

/** Helpers that keep connector code short and typed. */
export const rec = {
  identity: (value: Extract<CanonicalRecord, { kind: 'identity' }>['value']): CanonicalRecord => ({ kind: 'identity', value }),
  credential: (value: Extract<CanonicalRecord, { kind: 'credential' }>['value']): CanonicalRecord => ({ kind: 'credential', value }),
  edge: (value: Extract<CanonicalRecord, { kind: 'edge' }>['value']): CanonicalRecord => ({ kind: 'edge', value }),
  observation: (value: Extract<CanonicalRecord, { kind: 'observation' }>['value']): CanonicalRecord => ({ kind: 'observation', value }),
  entitlement: (value: Extract<CanonicalRecord, { kind: 'entitlement' }>['value']): CanonicalRecord => ({ kind: 'entitlement', value }),
  policy: (value: Extract<CanonicalRecord, { kind: 'policy' }>['value']): CanonicalRecord => ({ kind: 'policy', value }),
  event: (value: Extract<CanonicalRecord, { kind: 'event' }>['value']): CanonicalRecord => ({ kind: 'event', value }),
  alert: (value: Extract<CanonicalRecord, { kind: 'alert' }>['value']): CanonicalRecord => ({ kind: 'alert', value }),
  resource: (value: Extract<CanonicalRecord, { kind: 'resource' }>['value']): CanonicalRecord => ({ kind: 'resource', value }),
  ownerClaim: (value: Extract<CanonicalRecord, { kind: 'ownerClaim' }>['value']): CanonicalRecord => ({ kind: 'ownerClaim', value }),
};

/** Run a per-record transform, turning thrown errors into rejects with the error's message. */
export function toItem(index: number, line: number | undefined, build: () => CanonicalRecord[]): SourceItem {
  try {
    return { index, line, records: build() };
  } catch (err) {
    return { index, line, reject: (err as Error).message };
  }
}
