import type { EventView } from '../detections/view.js';

/**
 * The dimensions of an identity's behaviour: what one event says about each. A baseline is the set of
 * values each dimension took in the identity's history (SeenState), and a deviation is a value it never
 * took before.
 */
export type Dimension = 'action' | 'service' | 'network' | 'agent' | 'resource' | 'hour' | 'caller' | 'caller_class';

/** Services whose resources are data: the first read of a bucket or a secret is news, the first DescribeX is not. */
const DATA_SERVICES = new Set([
  's3.amazonaws.com', 'secretsmanager.amazonaws.com', 'ssm.amazonaws.com', 'kms.amazonaws.com', 'dynamodb.amazonaws.com',
  'rds-data.amazonaws.com', 'storage.googleapis.com', 'secretmanager.googleapis.com', 'bigquery.googleapis.com',
]);
const DATA_PREFIX = /^arn:aws[a-z-]*:(?:s3|secretsmanager|ssm|kms|dynamodb|rds):/;

/** `s3.amazonaws.com` -> `s3`, as IAM writes service prefixes. */
export function shortService(service: string): string {
  const dot = service.indexOf('.');
  return dot > 0 ? service.slice(0, dot) : service;
}

/**
 * The family of a client from its user agent: the product, the OS family and any execution
 * environment or agent marker, without versions (a new SDK version is not news; a new OS, or an AI
 * assistant driving the CLI, is).
 */
export function agentFamily(ua: string | null): string | null {
  if (!ua) return null;
  const s = ua.trim().toLowerCase();
  if (!s) return null;
  if (s.startsWith('mozilla/')) return 'browser';
  if (s === 'aws internal' || /^[a-z0-9.-]+\.amazonaws\.com$/.test(s)) return 'aws-service';
  const product = /^([a-z][a-z0-9._-]*)/.exec(s)?.[1] ?? s.slice(0, 32);
  const os = /\bos\/([a-z]+)/.exec(s)?.[1] ?? /\b(linux|darwin|macos|windows)\b/.exec(s)?.[1] ?? null;
  const env = /\bexec-env\/([a-z0-9._-]+)/.exec(s)?.[1] ?? null;
  const marker = /\b(mcp|cursor|copilot|claude|codex|langchain|openai|anthropic)\b/.exec(s)?.[1] ?? null;
  return [product, os === 'darwin' ? 'macos' : os, env && !env.startsWith('aws_lambda') ? env : env ? 'lambda' : null, marker].filter(Boolean).join('|');
}

/** Data resources an event touched, at the grain policies grant them (an S3 object counts as its bucket). */
export function dataResources(e: EventView): string[] {
  if (!DATA_SERVICES.has(e.service)) return [];
  const out: string[] = [];
  for (const r of e.resources) {
    if (!DATA_PREFIX.test(r) && !r.startsWith('projects/') && !r.startsWith('//')) continue;
    let v = r;
    if (r.startsWith('arn:aws:s3:::')) {
      const slash = r.indexOf('/', 13);
      if (slash !== -1) v = r.slice(0, slash);
    }
    if (!out.includes(v)) out.push(v);
  }
  return out;
}

/** Networks worth a baseline: public addresses (private ranges move with every subnet and autoscaling group). */
export function publicNetwork(e: EventView): string | null {
  return e.sourceKind === 'ipv4' || e.sourceKind === 'ipv6' ? e.network : null;
}

export function hourOf(ms: number): string {
  return String(new Date(ms).getUTCHours()).padStart(2, '0');
}

/** The values one event contributes to each dimension. */
export function valuesOf(e: EventView): [Dimension, string][] {
  const out: [Dimension, string][] = [
    ['action', `${shortService(e.service)}:${e.action}`],
    ['service', shortService(e.service)],
    ['hour', hourOf(e.ms)],
  ];
  const net = publicNetwork(e);
  if (net) out.push(['network', net]);
  const agent = agentFamily(e.userAgent);
  if (agent) out.push(['agent', agent]);
  for (const r of dataResources(e)) out.push(['resource', r]);
  return out;
}

/** Read-only by what the log says (CloudTrail readOnly), else by the verb. */
export function isReadOnly(e: EventView): boolean {
  const ro = e.detail.readOnly;
  if (typeof ro === 'boolean') return ro;
  return /^(get|list|describe|head|search|query|scan|lookup|view|check|batchget|select|download|read|watch)/i.test(e.action);
}
