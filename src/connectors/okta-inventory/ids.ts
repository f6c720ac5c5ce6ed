/** Okta ids (docs/model.md): `okta:<type>:<Okta id>`, the org by its host. */
export const oktaId = {
  user: (id: string) => `okta:user:${id}`,
  app: (id: string) => `okta:app:${id}`,
  apiToken: (id: string) => `okta:api-token:${id}`,
  group: (id: string) => `okta:group:${id}`,
  password: (userId: string) => `okta:password:${userId}`,
  /** The Okta org itself, named by its host: the grantor of org-wide (admin) scope grants. */
  org: (host: string) => `okta:org:${host.toLowerCase()}`,
  idp: (id: string) => `okta:idp:${id}`,
  role: (type: string) => `okta:role:${type}`,
  system: (id: string) => `okta:system:${id}`,
  /** An actor that is only a network address (ThreatInsight). Not an identity record. */
  ip: (ip: string) => `okta:ip:${ip}`,
};

/** The host of an Okta URL (`https://acme.okta.com/...` -> `acme.okta.com`), or null. */
export function oktaHost(url: unknown): string | null {
  if (typeof url !== 'string') return null;
  const m = /^https?:\/\/([^/{}\s]+)/i.exec(url);
  return m ? m[1].toLowerCase() : null;
}

/** The id after `/api/v1/<collection>/` in an Okta `_links` href. */
export function idFromHref(href: unknown, collection: string): string | null {
  if (typeof href !== 'string') return null;
  const marker = `/api/v1/${collection}/`;
  const i = href.indexOf(marker);
  if (i === -1) return null;
  const id = href.slice(i + marker.length).split(/[/?#]/)[0];
  return id || null;
}
