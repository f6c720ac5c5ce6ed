/**
 * OpenAI ids (docs/model.md): `openai:<type>:<OpenAI's own id>`. Admin keys and project keys are
 * different objects that can share an id shape (`key_...`), so they keep separate types.
 */
export const openaiIds = {
  org: (id: string) => `openai:org:${id}`,
  user: (id: string) => `openai:user:${id}`,
  serviceAccount: (id: string) => `openai:service-account:${id}`,
  project: (id: string) => `openai:project:${id}`,
  group: (id: string) => `openai:group:${id}`,
  apiKey: (id: string) => `openai:api-key:${id}`,
  adminKey: (id: string) => `openai:admin-key:${id}`,
  invite: (id: string) => `openai:invite:${id}`,
  /** Anything else an audit event names, by the type its event says (`ip_allowlist` -> `openai:ip-allowlist:<id>`). */
  other: (type: string, id: string) => `openai:${type.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}:${id}`,
};

/** A project id in a file name (`projects/proj_abc/users.json`): project listings do not repeat it per member. */
export function projectFromPath(path: string): string | null {
  return /(?:^|[^A-Za-z0-9])(proj_[A-Za-z0-9]+)/.exec(path)?.[1] ?? null;
}
