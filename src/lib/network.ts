import ipaddr from 'ipaddr.js';
import type { SourceKind } from '../model/index.js';

/**
 * Classify a source address as vendors write it. CloudTrail's sourceIPAddress holds service names
 * ("ec2.amazonaws.com", "AWS Internal") and anonymised strings as often as addresses: it is kept as
 * text and classified, never rejected.
 */
export function classifySource(value: string | null | undefined): SourceKind {
  if (!value) return 'unknown';
  const v = value.trim();
  if (v === 'AWS Internal' || v === 'internal') return 'internal';
  if (/\.amazonaws\.com$|\.googleapis\.com$|\.azure\.com$|^[a-z0-9-]+\.amazonaws\.com\.cn$/.test(v)) return 'service';
  if (ipaddr.isValid(v)) {
    const addr = ipaddr.parse(v);
    const range = addr.range();
    if (range === 'private' || range === 'loopback' || range === 'linkLocal' || range === 'uniqueLocal' || range === 'carrierGradeNat') return 'private';
    return addr.kind() === 'ipv6' ? 'ipv6' : 'ipv4';
  }
  return 'anonymized';
}

/** The /24 (IPv4) or /48 (IPv6) network of an address, for "a network never seen for it" baselines. */
export function networkOf(value: string | null | undefined): string | null {
  if (!value || !ipaddr.isValid(value)) return null;
  const addr = ipaddr.parse(value);
  if (addr.kind() === 'ipv4') {
    const o = (addr as ipaddr.IPv4).octets;
    return `${o[0]}.${o[1]}.${o[2]}.0/24`;
  }
  const parts = (addr as ipaddr.IPv6).parts;
  return `${parts.slice(0, 3).map((p) => p.toString(16)).join(':')}::/48`;
}
