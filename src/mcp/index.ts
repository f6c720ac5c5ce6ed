/** The MCP server: tools from the registry, resources, prompts; stdio and Streamable HTTP transports. */
export { buildMcpServer, callerFromExtra, INSTRUCTIONS, SERVER_INFO } from './server.js';
export { invokeTool, audited, targetOf, CALL_LIMITS, type Runtime, type Client, type Call } from './call.js';
export { loadRegistry, normaliseTool, toOutcome, type McpTool, type ToolOutcome, type ToolRunContext } from './registry.js';
export { startRuntime, type ServingRuntime } from './runtime.js';
export { serveStdio } from './stdio.js';
export { createCopilotApp, DEFAULT_RATE_LIMIT, type CopilotAppOptions, type RouteKit } from './http/app.js';
export { authenticate, requireScope, type RequestCaller } from './http/auth.js';
export { listen, parseListen, isLoopback, type Listening } from './http/listen.js';
export { RateLimiter } from './http/limits.js';
export { setBriefingRenderer, renderBriefing, shortBriefing, type BriefingRenderer, type Briefing } from './briefing.js';
export { fenceUntrusted, fencedAnswer, FENCE_NOTICE } from './fence.js';
export { RESOURCES, resourceScope } from './resources.js';
export { PROMPTS, promptText } from './prompts.js';
