import { LineCounter, parseAllDocuments } from 'yaml';
import { FormatError } from '../../lib/errors.js';
import { readJsonRecords } from '../shared/json-records.js';
import type { SourceFile } from '../shared/source-file.js';
import { isObj, type Obj } from './objects.js';

/** One Kubernetes object of a file, located in it; `error` when the element is not an object. */
export interface ManifestObject {
  index: number;
  line?: number;
  value?: Obj;
  error?: string;
}

const isList = (v: Obj): boolean => Array.isArray(v.items) && (typeof v.kind !== 'string' || v.kind.endsWith('List'));

/**
 * The objects of a manifest file: `kubectl get -o json` (a List or one object), NDJSON, a JSON array,
 * `kubectl get -o yaml`, or multi-document YAML (`---`). Lists nested anywhere are flattened, so an
 * array of Lists reads as their items. JSON is streamed; YAML is read whole (manifests are documents).
 */
export async function* readManifests(file: SourceFile, batchSize = 1000): AsyncGenerator<ManifestObject[]> {
  const first = file.head.trimStart()[0];
  let index = 0;
  let batch: ManifestObject[] = [];
  const push = (value: unknown, line: number | undefined, error?: string) => {
    if (error) {
      batch.push({ index: index++, line, error });
      return;
    }
    if (Array.isArray(value)) {
      for (const v of value) push(v, line);
      return;
    }
    if (isObj(value) && isList(value)) {
      for (const v of value.items as unknown[]) push(v, line);
      return;
    }
    if (value === null || value === undefined) return; // an empty YAML document (a trailing ---)
    if (!isObj(value)) batch.push({ index: index++, line, error: `expected a Kubernetes object, found ${typeof value}` });
    else batch.push({ index: index++, line, value });
  };

  if (first === '{' || first === '[') {
    for await (const records of readJsonRecords(file, ['items'])) {
      for (const r of records) push(r.value, r.line, r.error);
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
  } else {
    const text = await file.text();
    if (!text.trim()) throw new FormatError(file.path, 'file is empty (expected Kubernetes YAML or JSON)', { line: 1 }, 'E_EMPTY');
    const lines = new LineCounter();
    const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: false });
    if (!Array.isArray(docs)) throw new FormatError(file.path, 'not YAML', { line: 1 });
    for (const doc of docs) {
      const err = doc.errors[0];
      if (err) {
        const pos = lines.linePos(err.pos[0]);
        throw new FormatError(file.path, `not valid YAML (${err.message.split('\n')[0]})`, { line: pos.line, column: pos.col });
      }
      const start = doc.contents?.range?.[0];
      const line = start === undefined ? undefined : lines.linePos(start).line;
      let value: unknown;
      try {
        value = doc.toJS({ maxAliasCount: 100 });
      } catch (e) {
        throw new FormatError(file.path, `not valid YAML (${(e as Error).message})`, { line });
      }
      if (value !== null && value !== undefined && typeof value !== 'object') {
        throw new FormatError(file.path, `expected a Kubernetes object (a mapping with apiVersion and kind), found ${JSON.stringify(String(value).slice(0, 24))}`, { line });
      }
      push(value, line);
      if (batch.length >= batchSize) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length) yield batch;
}
