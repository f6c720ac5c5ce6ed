import { z } from 'zod';
import { Alert } from './alert.js';
import { Credential } from './credential.js';
import { Edge, Observation } from './edge.js';
import { Entitlement, Policy } from './entitlement.js';
import { Event } from './event.js';
import { Identity } from './identity.js';
import { OwnerClaim } from './ownership.js';
import { Resource } from './resource.js';

/**
 * Everything a connector can emit. The record kinds map one to one onto store tables; the ingest
 * pipeline validates each against its schema before it is loaded.
 */
export const RECORD_SCHEMAS = {
  identity: Identity,
  credential: Credential,
  edge: Edge,
  observation: Observation,
  entitlement: Entitlement,
  policy: Policy,
  event: Event,
  alert: Alert,
  resource: Resource,
  ownerClaim: OwnerClaim,
} as const;
export type RecordKind = keyof typeof RECORD_SCHEMAS;
export const RECORD_KINDS = Object.keys(RECORD_SCHEMAS) as RecordKind[];

export type RecordOf<K extends RecordKind> = z.infer<(typeof RECORD_SCHEMAS)[K]>;
export type RecordInputOf<K extends RecordKind> = z.input<(typeof RECORD_SCHEMAS)[K]>;

/** A record as a connector yields it (defaults not yet applied). */
export type CanonicalRecord = { [K in RecordKind]: { kind: K; value: RecordInputOf<K> } }[RecordKind];
/** A record after validation. */
export type ValidRecord = { [K in RecordKind]: { kind: K; value: RecordOf<K> } }[RecordKind];
