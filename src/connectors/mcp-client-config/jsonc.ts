import { FormatError } from '../../lib/errors.js';

/**
 * MCP client files are JSON, except VS Code's, which is JSONC (comments, trailing commas). Parse as
 * JSON first; on failure strip comments and trailing commas outside strings and try again. A file that
 * is neither is a FormatError at the line and column where the parser gave up.
 */
export function parseJsonc(path: string, text: string): unknown {
  const body = text.replace(/^\uFEFF/, '');
  if (!body.trim()) throw new FormatError(path, 'file is empty (expected a JSON object)', { line: 1 }, 'E_EMPTY');
  try {
    return JSON.parse(body);
  } catch {
    const stripped = stripJsonc(body);
    try {
      return JSON.parse(stripped);
    } catch (err) {
      const m = /position (\d+)/.exec((err as Error).message);
      const pos = m ? Number(m[1]) : stripped.length;
      const before = stripped.slice(0, pos);
      const line = (before.match(/\n/g)?.length ?? 0) + 1;
      const column = pos - before.lastIndexOf('\n');
      const what = pos >= stripped.trimEnd().length || /Unexpected end|Unterminated/i.test((err as Error).message) ? 'the JSON is truncated' : (err as Error).message.replace(/^JSON\.parse: /, '').replace(/ in JSON at position \d+.*$/, '');
      throw new FormatError(path, `not valid JSON: ${what}`, { line, column });
    }
  }
}

/** Blank out // and /* *\/ comments, then trailing commas, keeping every newline so positions stay true. */
export function stripJsonc(text: string): string {
  return dropTrailingCommas(walkOutsideStrings(text, (t, i) => {
    if (t[i] !== '/' || (t[i + 1] !== '/' && t[i + 1] !== '*')) return null;
    const end = t[i + 1] === '/' ? t.indexOf('\n', i) : t.indexOf('*/', i + 2) + 2;
    const stop = end <= 1 || end === -1 ? t.length : end;
    return { text: t.slice(i, stop).replace(/[^\n]/g, ' '), next: stop };
  }));
}

function dropTrailingCommas(text: string): string {
  return walkOutsideStrings(text, (t, i) => {
    if (t[i] !== ',') return null;
    let j = i + 1;
    while (j < t.length && (t[j] === ' ' || t[j] === '\n' || t[j] === '\r' || t[j] === '\t')) j++;
    return t[j] === '}' || t[j] === ']' ? { text: ' ', next: i + 1 } : null;
  });
}

/** Copy text, letting `at` replace what starts at a position outside string literals. */
function walkOutsideStrings(text: string, at: (t: string, i: number) => { text: string; next: number } | null): string {
  const parts: string[] = [];
  let i = 0;
  let from = 0;
  const n = text.length;
  while (i < n) {
    if (text[i] === '"') {
      let j = i + 1;
      while (j < n && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      i = j + 1;
      continue;
    }
    const r = at(text, i);
    if (r) {
      parts.push(text.slice(from, i), r.text);
      i = from = r.next;
    } else i++;
  }
  parts.push(text.slice(from));
  return parts.join('');
}
