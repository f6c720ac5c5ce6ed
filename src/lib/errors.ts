/**
 * Typed errors with codes. A user who feeds a bad file reads `file:line:col: what is wrong, what was
 * expected`; the CLI maps codes to exit statuses.
 */
export type ErrorCode =
  | 'E_FORMAT' // the file cannot be read as its format (truncated, wrong format, not gzip)
  | 'E_UNKNOWN_FORMAT' // no connector recognises the file
  | 'E_EMPTY' // nothing in the file
  | 'E_IO' // cannot open or read
  | 'E_STORE_LOCKED' // another process holds the embedded store
  | 'E_CONFIG' // idcopilot.yaml is invalid
  | 'E_USAGE' // bad command-line arguments
  | 'E_NOT_FOUND';

export class CopilotError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'CopilotError';
  }
}

/** A file that cannot be read as its format. `position` is where the reader gave up. */
export class FormatError extends CopilotError {
  constructor(
    readonly path: string,
    readonly what: string,
    readonly position: { line?: number; column?: number; offset?: number; record?: number } = {},
    code: ErrorCode = 'E_FORMAT',
  ) {
    super(code, `${path}${formatPosition(position)}: ${what}`, { path, ...position });
    this.name = 'FormatError';
  }
}

function formatPosition(p: { line?: number; column?: number; offset?: number; record?: number }): string {
  if (p.line !== undefined) return `:${p.line}${p.column !== undefined ? `:${p.column}` : ''}`;
  if (p.record !== undefined) return ` record ${p.record}`;
  if (p.offset !== undefined) return ` at byte ${p.offset}`;
  return '';
}

/** A record rejected inside a readable file: the rest of the file still loads. */
export class RecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecordError';
  }
}
