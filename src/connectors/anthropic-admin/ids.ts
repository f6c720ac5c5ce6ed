/** Anthropic ids (docs/model.md): `anthropic:<type>:<Anthropic's own id>`. */
export const anthropicIds = {
  org: (id: string) => `anthropic:org:${id}`,
  user: (id: string) => `anthropic:user:${id}`,
  workspace: (id: string) => `anthropic:workspace:${id}`,
  /** Keys outside any workspace belong to the organization's default workspace. */
  defaultWorkspace: 'anthropic:workspace:default',
  apiKey: (id: string) => `anthropic:api-key:${id}`,
  adminKey: (id: string) => `anthropic:admin-key:${id}`,
  mcpServer: (id: string) => `anthropic:mcp-server:${id}`,
  /** Activity logs' own actors that are not users or keys. */
  unauthenticated: 'anthropic:unauthenticated',
  scim: (directory: string) => `anthropic:scim:${directory}`,
  staff: 'anthropic:staff',
  other: (type: string, id: string) => `anthropic:${type.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}:${id}`,
};
