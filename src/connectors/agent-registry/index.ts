import { LineCounter, isMap, isSeq, parseDocument, type Node } from 'yaml';
import { FormatError, RecordError } from '../../lib/errors.js';
import type { Connector, Sample, SourceItem } from '../contract.js';
import { registryEntryRecords } from './entry.js';

/**
 * The AI agents registry (README "AI agents registry"): a YAML file describing each AI assistant or
 * agent, whom it acts for, how autonomous it is, and the credentials, tokens and MCP servers it uses.
 * One source item per agent entry.
 */
export const connector: Connector = {
  name: 'agent-registry',
  title: 'AI agents registry (YAML)',
  category: 'inventory',
  produces: 'agents.yaml kept by the platform or security team (format in README, "AI agents registry")',
  detect,
  async *parse(file) {
    const text = await file.text();
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, merge: true });
    if (doc.errors.length) {
      const e = doc.errors[0];
      const pos = e.linePos?.[0];
      throw new FormatError(file.path, `not valid YAML: ${e.message.split('\n')[0]}`, pos ? { line: pos.line, column: pos.col } : {});
    }
    const root = doc.contents;
    const list: Node | null = isSeq(root) ? root : isMap(root) ? (root.get('agents', true) as Node | null) ?? null : null;
    if (!list || !isSeq(list)) {
      throw new FormatError(file.path, root === null ? 'file is empty (expected an "agents:" list)' : 'expected an "agents:" list of agent entries', { line: 1 }, root === null ? 'E_EMPTY' : 'E_FORMAT');
    }
    const items: SourceItem[] = [];
    list.items.forEach((node, index) => {
      const offset = (node as Node | null)?.range?.[0];
      const line = offset === undefined ? undefined : lines.linePos(offset).line;
      try {
        const value = node ? (node as Node).toJS(doc) : null;
        items.push({ index, line, records: registryEntryRecords(value, { path: file.path, index }) });
      } catch (err) {
        items.push({ index, line, reject: err instanceof RecordError ? err.message : `internal error: ${(err as Error).message}` });
      }
    });
    yield items;
  },
};

export function detect(sample: Sample): number {
  const head = sample.head;
  const yamlName = /\.ya?ml$/i.test(sample.name);
  const hasAgents = /^agents\s*:/m.test(head);
  const agentWords = /^\s+(autonomy|actsFor|acts_for|mcpServers|mcp_servers)\s*:/m.test(head);
  if (hasAgents && agentWords) return 0.95;
  if (yamlName && /agent/i.test(sample.name) && (hasAgents || agentWords)) return 0.8;
  return 0;
}
