import { tool } from 'langchain';
import { runTool, type ToolContext, type ToolDefinition } from '../../tools/registry.js';
import { tools as registry } from '../../tools/index.js';
import { fence } from './fence.js';

/**
 * The registry's tools as LangChain tools for the narrator's agent: the same definitions and handlers
 * the MCP server serves, run through runTool (validation, bounds, deadline, isError), with every answer
 * fenced as untrusted data before the model sees it. The narrator gets the read-only ones only: nothing
 * a model says can change an incident or anything else.
 */
export function langchainTools(ctx: ToolContext, opts: { readOnly?: boolean; only?: string[] } = {}) {
  const defs = (registry as ToolDefinition[]).filter((d) => (!opts.readOnly || d.annotations.readOnlyHint) && (!opts.only || opts.only.includes(d.name)));
  return defs.map((def) =>
    tool(
      async (input: unknown) => {
        const r = await runTool(def, ctx, input);
        const text = r.isError ? r.content.map((c) => c.text).join('\n') : JSON.stringify(r.structuredContent);
        return `${r.isError ? 'ERROR ' : ''}${fence(text, `tool ${def.name}`)}`;
      },
      { name: def.name, description: def.description, schema: def.input },
    ),
  );
}
