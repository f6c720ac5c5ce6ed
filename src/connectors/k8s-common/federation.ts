import type { IdentityKind, Provider } from '../../model/index.js';

/** A cloud identity a Kubernetes service account is federated to by an annotation. */
export interface CloudFederation {
  annotation: string;
  to: string;
  kind: IdentityKind;
  provider: Provider;
  name: string;
  email: string | null;
  account: string | null;
  /** What the cloud side must accept for the exchange to work (the token's `sub`). */
  conditions: Record<string, unknown>;
}

const IRSA = 'eks.amazonaws.com/role-arn';
const GKE = 'iam.gke.io/gcp-service-account';
const AZURE_CLIENT = 'azure.workload.identity/client-id';
const AZURE_TENANT = 'azure.workload.identity/tenant-id';
const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/;

/**
 * IRSA, GKE Workload Identity and Azure Workload Identity all start from an annotation on the service
 * account naming the cloud identity; the cloud side trusts the cluster's OIDC issuer for the subject
 * `system:serviceaccount:<ns>:<name>`, which is what `conditions.sub` records so the two sides can be
 * matched (AWS role trust policy, GCP roles/iam.workloadIdentityUser binding, Entra federated credential).
 */
export function federationsOf(annotations: Record<string, unknown> | null | undefined, ns: string, name: string): CloudFederation[] {
  if (!annotations) return [];
  const out: CloudFederation[] = [];
  const sub = `system:serviceaccount:${ns}:${name}`;
  const roleArn = annotations[IRSA];
  if (typeof roleArn === 'string' && roleArn.trim()) {
    const arn = roleArn.trim();
    const m = ROLE_ARN.exec(arn);
    out.push({ annotation: IRSA, to: arn, kind: 'role', provider: 'aws', name: m ? m[2] : arn, email: null, account: m ? m[1] : null, conditions: { sub, audience: 'sts.amazonaws.com' } });
  }
  const gsa = annotations[GKE];
  if (typeof gsa === 'string' && gsa.includes('@')) {
    const email = gsa.trim().toLowerCase();
    const project = /@([^.]+)\.iam\.gserviceaccount\.com$/.exec(email)?.[1] ?? null;
    out.push({ annotation: GKE, to: `gcp:sa:${email}`, kind: 'service_account', provider: 'gcp', name: email.split('@')[0], email, account: project, conditions: { member: `serviceAccount:<project>.svc.id.goog[${ns}/${name}]`, sub } });
  }
  const clientId = annotations[AZURE_CLIENT];
  if (typeof clientId === 'string' && clientId.trim()) {
    const tenant = typeof annotations[AZURE_TENANT] === 'string' ? (annotations[AZURE_TENANT] as string) : null;
    out.push({ annotation: AZURE_CLIENT, to: `entra:app:${clientId.trim().toLowerCase()}`, kind: 'oauth_app', provider: 'entra', name: clientId.trim(), email: null, account: tenant, conditions: { sub, ...(tenant ? { tenant } : {}) } });
  }
  return out;
}
