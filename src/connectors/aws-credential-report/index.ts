import { parse as parseCsv, type Parser } from 'csv-parse';
import { once } from 'node:events';
import { parseArn } from '../../lib/aws/arn.js';
import { compact } from '../../lib/aws/attributes.js';
import { certSlotId, keySlotId, passwordId } from '../../lib/aws/ids.js';
import { environmentFromNames } from '../../lib/aws/tags.js';
import { FormatError, RecordError } from '../../lib/errors.js';
import { fingerprint } from '../../lib/secrets.js';
import { toIso } from '../../lib/time.js';
import type { CanonicalRecord, CredentialInput } from '../../model/index.js';
import { rec, toItem, type Connector, type SourceItem } from '../contract.js';
import type { SourceFile } from '../shared/source-file.js';

const HEADER_START = 'user,arn,user_creation_time';
const REQUIRED = ['user', 'arn', 'user_creation_time'];
const BATCH = 2000;
const SLOTS = [1, 2] as const;

/**
 * `aws iam get-credential-report`: one row per IAM user (and one for the account root) with password,
 * MFA, access-key and signing-certificate facts. The report never names key ids, so keys are known by
 * their slot (`aws:key-slot:<user ARN>#1`, docs/model.md). Users come out with origin `derived`: the
 * authorization details describe them better, and win when both are loaded.
 *
 * Accepts the CSV itself or the CLI's JSON answer (`{"Content": "<base64 CSV>", "ReportFormat": "text/csv"}`).
 */
export const connector: Connector = {
  name: 'aws-credential-report',
  title: 'AWS IAM credential report',
  category: 'inventory',
  produces: 'aws iam get-credential-report --query Content --output text | base64 -d',

  detect(sample) {
    const head = sample.head.replace(/^\uFEFF/, '').trimStart();
    if (head.startsWith(HEADER_START)) return 0.95;
    if (head.startsWith('{') && head.includes('"ReportFormat"') && head.includes('"Content"')) return 0.9;
    return 0;
  },

  async *parse(file) {
    const head = file.head.replace(/^\uFEFF/, '').trimStart();
    const text: Iterable<string> | AsyncIterable<string> = head.startsWith('{') ? [decodeJsonReport(file, await file.text())] : file.chunks();
    const parser = parseCsv({ info: true, relax_column_count: true, skip_empty_lines: true, bom: true, trim: true });
    feed(text, parser);
    let header: string[] | null = null;
    let items: SourceItem[] = [];
    let index = 0;
    try {
      for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
        if (!header) {
          header = record;
          const missing = REQUIRED.filter((c) => !header!.includes(c));
          if (missing.length) {
            throw new FormatError(file.path, `not a credential report: header lacks ${missing.join(', ')} (expected "${HEADER_START},...")`, { line: info.lines });
          }
          continue;
        }
        const row = record;
        const cols = header;
        items.push(toItem(index++, info.lines, () => {
          if (row.length !== cols.length) throw new RecordError(`expected ${cols.length} columns, found ${row.length}`);
          return buildRow(Object.fromEntries(cols.map((c, i) => [c, row[i]])));
        }));
        if (items.length >= BATCH) {
          yield items;
          items = [];
        }
      }
    } catch (err) {
      if (err instanceof FormatError) throw err;
      const e = err as Error & { lines?: number };
      throw new FormatError(file.path, `not valid CSV (${e.message})`, { line: e.lines });
    }
    if (!header) throw new FormatError(file.path, `file is empty (expected a credential report starting "${HEADER_START}")`, { line: 1 }, 'E_EMPTY');
    if (items.length) yield items;
  },
};

/**
 * Writes the text into the parser with back-pressure. A read error (a truncated gzip member) destroys
 * the parser with it, so that the reading loop sees the error instead of waiting forever, which is
 * what `.pipe()` would do.
 */
function feed(text: Iterable<string> | AsyncIterable<string>, parser: Parser): void {
  (async () => {
    try {
      for await (const chunk of text) if (!parser.write(chunk)) await once(parser, 'drain');
      parser.end();
    } catch (err) {
      parser.destroy(err as Error);
    }
  })().catch(() => {});
}

function decodeJsonReport(file: SourceFile, text: string): string {
  let body: { Content?: unknown };
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new FormatError(file.path, `not valid JSON (${(err as Error).message})`, { line: 1 });
  }
  if (typeof body.Content !== 'string') throw new FormatError(file.path, 'missing Content (expected the base64 CSV of get-credential-report)', { line: 1 });
  return Buffer.from(body.Content, 'base64').toString('utf8');
}

/** `true`/`false`; `not_supported` and `N/A` (the root row, absent keys) are unknown. */
function bool(v: string | undefined, field: string): boolean | null {
  if (v === undefined) return null;
  const s = v.toLowerCase();
  if (s === 'true') return true;
  if (s === 'false') return false;
  if (s === '' || s === 'n/a' || s === 'not_supported' || s === 'no_information') return null;
  throw new RecordError(`${field}: "${v.slice(0, 20)}" is not true or false`);
}

function text(v: string | undefined): string | null {
  if (v === undefined) return null;
  return v === '' || v === 'N/A' || v === 'no_information' || v === 'not_supported' ? null : v;
}

function latest(...times: (string | null)[]): string | null {
  let best: string | null = null;
  for (const t of times) if (t && (!best || t > best)) best = t;
  return best;
}

function buildRow(row: Record<string, string>): CanonicalRecord[] {
  const user = row.user;
  const arnText = row.arn;
  if (!arnText) throw new RecordError('missing arn');
  if (!user) throw new RecordError('missing user');
  const arn = parseArn(arnText);
  if (!arn || arn.service !== 'iam' || !arn.account) throw new RecordError(`arn: "${arnText.slice(0, 80)}" is not an IAM user ARN`);
  const isRoot = user === '<root_account>' || arn.resource === 'root';
  const records: CanonicalRecord[] = [];
  const credential = (c: CredentialInput) => {
    records.push(rec.credential(c));
    records.push(rec.edge({ from: arnText, to: c.id, kind: 'owns_credential', potential: true, evidence: [c.id] }));
  };

  let anyKeyActive = false;
  const used: (string | null)[] = [];
  for (const n of SLOTS) {
    const p = `access_key_${n}_`;
    const active = bool(row[`${p}active`], `${p}active`);
    const rotated = toIso(row[`${p}last_rotated`], `${p}last_rotated`);
    const lastUsed = toIso(row[`${p}last_used_date`], `${p}last_used_date`);
    if (!active && !rotated && !lastUsed) continue;
    if (active) anyKeyActive = true;
    used.push(lastUsed);
    const id = keySlotId(arnText, n);
    credential({
      id, identityId: arnText, type: 'access_key', fingerprint: fingerprint(id), createdAt: rotated, lastRotatedAt: rotated,
      lastUsedAt: lastUsed, status: active ? 'active' : 'inactive',
      attributes: compact({ slot: n, lastUsedService: text(row[`${p}last_used_service`]), lastUsedRegion: text(row[`${p}last_used_region`]) }),
    });
  }
  for (const n of SLOTS) {
    const p = `cert_${n}_`;
    const active = bool(row[`${p}active`], `${p}active`);
    const rotated = toIso(row[`${p}last_rotated`], `${p}last_rotated`);
    if (!active && !rotated) continue;
    const id = certSlotId(arnText, n);
    credential({
      id, identityId: arnText, type: 'certificate', fingerprint: fingerprint(id), createdAt: rotated, lastRotatedAt: rotated,
      status: active ? 'active' : 'inactive', attributes: { slot: n, signingCertificate: true },
    });
  }

  const passwordEnabled = bool(row.password_enabled, 'password_enabled');
  const pwUsed = toIso(row.password_last_used, 'password_last_used');
  const pwChanged = toIso(row.password_last_changed, 'password_last_changed');
  const pwNext = toIso(row.password_next_rotation, 'password_next_rotation');
  if (passwordEnabled || pwUsed || pwChanged) {
    const id = passwordId(arnText);
    used.push(pwUsed);
    records.push(rec.credential({
      id, identityId: arnText, type: 'password', fingerprint: fingerprint(id), lastUsedAt: pwUsed, lastRotatedAt: pwChanged,
      expiresAt: pwNext, status: passwordEnabled === true ? 'active' : passwordEnabled === false ? 'inactive' : 'unknown',
      attributes: isRoot ? { root: true } : {},
    }));
  }

  const mfaActive = bool(row.mfa_active, 'mfa_active');
  // Unlike the other fields, a person is told apart by how they sign in: a console password and no live key.
  const kind = isRoot ? 'role' : passwordEnabled && !anyKeyActive ? 'human' : 'service_account';
  records.unshift(rec.identity({
    id: arnText, kind, provider: 'aws', name: isRoot ? `${arn.account} root` : user,
    email: !isRoot && user.includes('@') ? user : null, account: arn.account,
    environment: isRoot ? 'unknown' : environmentFromNames(arn.resourceName) ?? 'unknown', status: 'active',
    createdAt: toIso(row.user_creation_time, 'user_creation_time'), lastSeenAt: latest(...used),
    attributes: compact({ passwordEnabled, mfaActive, kindSource: 'credential-report', accountRoot: isRoot || null }),
    origin: 'derived',
  }));
  return records;
}
