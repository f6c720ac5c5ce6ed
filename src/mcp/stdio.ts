import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Principal } from '../audit/index.js';
import type { Runtime } from './call.js';
import { buildMcpServer } from './server.js';

/**
 * MCP over stdio for a desktop client (Claude Desktop, VS Code, Cursor) that spawns the CLI: the caller is
 * the local user, with the scopes the operator gave `serve --stdio`. stdout carries the protocol only.
 * Resolves when the client closes the connection.
 */
export async function serveStdio(rt: Runtime, principal: Principal): Promise<void> {
  const server = buildMcpServer(rt, principal, () => ({ principal, client: { session: 'stdio' } }));
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
  });
  await server.connect(transport);
  await closed;
  await server.close().catch(() => undefined);
}
