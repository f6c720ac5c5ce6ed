import { Command, Option } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { briefingData, htmlToPdf, renderHtml, renderMarkdown } from '../../channels/briefing/index.js';
import { triageForChannels, triageIsStale } from '../../channels/incidents.js';
import { parseDuration } from '../../lib/time.js';
import { config, printJson, usage, withGlobals, withStore } from '../context.js';

/**
 * `idcopilot brief`: the CISO briefing. The three things that need a decision, posture figures, the
 * OWASP NHI Top 10 chart, risk over time, the top 10 risks with owners and actions, and the period's
 * incidents; as HTML (one offline file that prints to A4 or Letter), Markdown, PDF or JSON.
 */
export function briefCommand(): Command {
  return withGlobals(new Command('brief'))
    .description('the CISO briefing: three decisions, posture, OWASP NHI Top 10, risk over time, top risks, the period\'s incidents (HTML, Markdown or PDF)')
    .addOption(new Option('--format <format>', 'html (self-contained, prints well), md, pdf (headless Chromium), or json (the CisoBriefing contract)').choices(['html', 'md', 'pdf', 'json']).default('html'))
    .option('--period <duration>', 'how far back incidents and the trend go, from the latest data (e.g. 7d, 30d, 12w)', '30d')
    .option('--out <file>', 'write here (default: stdout for html, md and json; briefing.pdf for pdf)')
    .addOption(new Option('--paper <size>', 'PDF paper size').choices(['A4', 'Letter']).default('A4'))
    .option('--title <text>', 'the briefing\'s title', 'Identity risk briefing')
    .option('--no-refresh', 'do not run triage first, even when the stored incidents are older than the data')
    .addHelpText('after', `
Figures come from the store as the engines left them: posture and risk from the last scoring (each ingest
re-scores; each data day keeps a snapshot, which the trend draws), incidents from the last triage (run
first when the data is newer, unless --no-refresh). PDF needs Debian's chromium (/usr/bin/chromium, or
IDCOPILOT_CHROMIUM); without it, write --format html and print from a browser.`)
    .action(async (opts, cmd: Command) => {
      const cfg = config(cmd);
      let periodMs: number;
      try {
        periodMs = parseDuration(opts.period);
      } catch (err) {
        usage(`--period: ${(err as Error).message}`);
      }
      if (periodMs! < 86_400_000 || periodMs! > 366 * 86_400_000) usage('--period must be between 1d and 366d');
      const { briefing, refreshed } = await withStore(cmd, async (db) => {
        let refreshed = false;
        if (opts.refresh && (await triageIsStale(db))) {
          await triageForChannels(db, cfg, { top: 20 });
          refreshed = true;
        }
        return { briefing: await briefingData(db, { periodDays: periodMs! / 86_400_000, title: opts.title }), refreshed };
      });
      if (refreshed) process.stderr.write('note: triage ran first: the stored incidents were older than the data\n');
      const write = (content: string | Buffer, fallback: string | null) => {
        const file = opts.out ?? fallback;
        if (!file) return void process.stdout.write(content);
        const path = resolve(file);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, content);
        process.stderr.write(`wrote ${path}\n`);
      };
      if (opts.format === 'json') return opts.out ? write(JSON.stringify(briefing, null, 2) + '\n', null) : printJson(briefing);
      if (opts.format === 'md') return write(renderMarkdown(briefing), null);
      const html = renderHtml(briefing);
      if (opts.format === 'html') return write(html, null);
      write(await htmlToPdf(html, { paper: opts.paper }), 'briefing.pdf');
    });
}
