import { setBriefingRenderer, type BriefingRenderer } from '../../mcp/briefing.js';
import { briefingData } from './data.js';
import { renderMarkdown } from './markdown.js';

export { briefingData, FACTOR_ACTIONS, type BriefingOptions } from './data.js';
export { renderMarkdown } from './markdown.js';
export { renderHtml, type HtmlOptions } from './html.js';
export { htmlToPdf, findChromium, CHROMIUM_FLAGS } from './pdf.js';

/** briefing://latest as the CISO briefing in Markdown (the MCP server's pluggable renderer). */
export const cisoBriefingRenderer: BriefingRenderer = async (ctx) => {
  const b = await briefingData(ctx.db);
  return { markdown: renderMarkdown(b), asOf: b.asOf };
};

export function useCisoBriefingForMcp(): void {
  setBriefingRenderer(cisoBriefingRenderer);
}
