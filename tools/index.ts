import { eventTools } from './events.js';
import { graphTools } from './graph.js';
import { identityTools } from './identities.js';
import { incidentTools } from './incidents.js';
import type { ToolDefinition } from './registry.js';

/**
 * Every tool, one family per file. The MCP server (src/mcp) and the LLM narrator (src/agent/tools.ts)
 * serve these same definitions; adding a tool means adding it to a family here, nowhere else.
 */
export const tools = [...incidentTools, ...identityTools, ...graphTools, ...eventTools] as unknown as ToolDefinition[];

export { defineTool, runTool, LIMITS, ToolError, type ToolContext, type ToolDefinition, type ToolResult } from './registry.js';
