/**
 * GitHub ids (docs/model.md). Logins, organisation and repository names are case-insensitive on
 * GitHub and appear in different cases in different exports (`YourCompany` vs `yourcompany`), so ids
 * use them lower-cased; names keep the case the source used.
 */
export const githubIds = {
  user: (login: string) => `github:user:${login.toLowerCase()}`,
  org: (org: string) => `github:org:${org.toLowerCase()}`,
  enterprise: (slug: string) => `github:enterprise:${slug.toLowerCase()}`,
  team: (org: string, slug: string) => `github:team:${org.toLowerCase()}/${slug.toLowerCase()}`,
  app: (slug: string) => `github:app:${slug.toLowerCase()}`,
  installation: (id: string | number) => `github:installation:${id}`,
  /** The token's id (`token_id` in the org PAT listing and in audit logs), or a classic PAT's credential id. */
  pat: (id: string | number) => `github:pat:${id}`,
  sshKey: (id: string | number) => `github:ssh-key:${id}`,
  token: (id: string | number) => `github:token:${id}`,
  deployKey: (repo: string, id: string | number) => `github:deploy-key:${repo.toLowerCase()}/${id}`,
  /** A repository's Actions workflows as one workload identity. */
  workflow: (repo: string) => `github:workflow:${repo.toLowerCase()}`,
  /** An Actions OIDC subject (or subject pattern) that no single repository owns. */
  oidc: (sub: string) => `github:oidc:${sub}`,
  repo: (repo: string) => `github:repo:${repo.toLowerCase()}`,
  hook: (id: string | number) => `github:hook:${id}`,
};

const BOT = /^(.+)\[bot\]$/;

/** An actor login as an identity: `<slug>[bot]` is a GitHub App acting as itself. */
export function actorOf(login: string, isBot = false): { id: string; kind: 'human' | 'bot' | 'oauth_app'; name: string } {
  const m = BOT.exec(login);
  if (m) return { id: githubIds.app(m[1]), kind: 'oauth_app', name: m[1] };
  return { id: githubIds.user(login), kind: isBot ? 'bot' : 'human', name: login };
}

/** `owner/repo` from an API URL (`https://api.github.com/repos/o/r/...`) or a web URL. */
export function repoFromUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  const api = /\/repos\/([^/]+)\/([^/?#]+)/.exec(url);
  if (api) return `${api[1]}/${api[2]}`;
  const web = /^https:\/\/github\.com\/([^/]+)\/([^/?#]+)/.exec(url);
  return web ? `${web[1]}/${web[2]}` : null;
}
