import { z } from 'zod';
import { Attributes, IsoTime, Provider } from './common.js';

export const Outcome = z.enum(['success', 'failure', 'unknown']);

/** What kind of thing a source address is: vendors put service names and anonymised text there as often as IPs. */
export const SourceKind = z.enum(['ipv4', 'ipv6', 'private', 'service', 'internal', 'anonymized', 'unknown']);
export type SourceKind = z.infer<typeof SourceKind>;

/**
 * The delegation chain exactly as the log states it. Engines resolve these strings to identities
 * (a sourceIdentity is often an email or a username; an access key id links a session to the call
 * that issued it).
 */
export const EventChain = z.object({
  /** The role (or other principal) that issued the session the actor acts through. */
  sessionIssuer: z.string().nullable().default(null),
  /** The session's own id (an assumed-role ARN with its session name). */
  session: z.string().nullable().default(null),
  /** A person's identity carried through role sessions (AWS sourceIdentity). */
  sourceIdentity: z.string().nullable().default(null),
  /** The principal on whose behalf the actor acts (delegated OAuth, impersonation, agents). */
  onBehalfOf: z.string().nullable().default(null),
  /** The credential the call was signed with (an access key id, a token id). */
  credentialId: z.string().nullable().default(null),
  /** The AWS service or platform component that made the call for the actor. */
  invokedBy: z.string().nullable().default(null),
  /** The identity provider of a federated principal (SAML, OIDC). */
  federatedProvider: z.string().nullable().default(null),
  mfa: z.boolean().nullable().default(null),
  /** Intermediate principals, first to last, as the log lists them (GCP delegation chains). */
  delegation: z.array(z.string()).default([]),
});
export type EventChain = z.infer<typeof EventChain>;

/** A normalised activity record. `detail` keeps the request facts detections need, secrets redacted. */
export const Event = z.object({
  id: z.string().min(1),
  time: IsoTime,
  provider: Provider,
  /** The service the action belongs to, e.g. `s3.amazonaws.com`, `okta`, `github`. */
  service: z.string().default(''),
  action: z.string().min(1),
  outcome: Outcome.default('unknown'),
  errorCode: z.string().nullable().default(null),
  actorId: z.string().min(1),
  chain: EventChain.default(EventChain.parse({})),
  /** The main resource or identity acted on, when there is one. */
  target: z.string().nullable().default(null),
  /** Every resource the event names (ARNs, repository names, object ids). */
  resources: z.array(z.string()).default([]),
  sourceIp: z.string().nullable().default(null),
  sourceKind: SourceKind.default('unknown'),
  userAgent: z.string().nullable().default(null),
  region: z.string().nullable().default(null),
  account: z.string().nullable().default(null),
  /** Where the raw record is: `path#index`. */
  rawRef: z.string().nullable().default(null),
  detail: Attributes.default({}),
});
export type Event = z.infer<typeof Event>;
export type EventInput = z.input<typeof Event>;
