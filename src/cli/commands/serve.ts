import { Command, Option } from 'commander';
import { localPrincipal, resolveScopes, ROLE_SCOPES, TokenVerifier } from '../../audit/index.js';
import { createCopilotApp, DEFAULT_RATE_LIMIT, isLoopback, listen, parseListen, serveStdio, startRuntime } from '../../mcp/index.js';
import { config, usage, withGlobals, withStore } from '../context.js';
import { useCisoBriefingForMcp } from '../../channels/briefing/index.js';
import { webView } from '../../channels/web/routes.js';
import { startRealtime } from '../../realtime/index.js';
import { textEvent } from './watch.js';

export function serveCommand(): Command {
  return withGlobals(new Command('serve'))
    .description('run the MCP server (tools, resources, prompts) over stdio for a desktop client, or over Streamable HTTP with bearer tokens')
    .option('--stdio', 'serve one client on stdin/stdout, as the local user (Claude Desktop, VS Code, Cursor spawn this)')
    .option('--http <host:port>', 'serve Streamable HTTP at http://HOST:PORT/mcp (bearer tokens: idcopilot token create)')
    .option('--role <roles>', 'stdio only: the local user\'s roles or scopes, comma-separated (default analyst)', 'analyst')
    .option('--allow-host <names...>', 'Host header names clients use (required when binding beyond loopback: DNS-rebinding protection)')
    .addOption(new Option('--rate-limit <n>', 'requests per minute per token (0: off)').default(DEFAULT_RATE_LIMIT).argParser((v) => Number(v)))
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)')
    .option('--tls-key <file>', 'and this private key (PEM)')
    .option('--watch <paths...>', 'with --http: also follow these folders and files as logs arrive (as idcopilot watch does), in this process')
    .addHelpText('after', `
The server holds the store for its lifetime (PGlite admits one process per data directory); other commands
on the same --data directory say the store is in use. Every tool call, resource read and prompt is
audited (idcopilot audit verify). Stop it with Ctrl-C (SIGINT) or SIGTERM.

Claude Desktop / VS Code / Cursor: see README, "Use it from Claude Desktop, VS Code or Cursor".`)
    .action(async (opts, cmd: Command) => {
      if (Boolean(opts.stdio) === Boolean(opts.http)) usage('give exactly one of --stdio or --http HOST:PORT');
      if (Boolean(opts.tlsCert) !== Boolean(opts.tlsKey)) usage('--tls-cert and --tls-key go together');
      if (opts.watch && !opts.http) usage('--watch goes with --http (or run idcopilot watch on its own)');
      if (!Number.isFinite(opts.rateLimit) || opts.rateLimit < 0) usage('--rate-limit must be a number of requests per minute (0: off)');
      const cfg = config(cmd);
      const say = (s: string) => process.stderr.write(s + '\n');
      let stdioScopes = ROLE_SCOPES.analyst;
      if (opts.stdio) {
        try {
          stdioScopes = resolveScopes([opts.role]).scopes;
        } catch (err) {
          usage((err as Error).message);
        }
      }
      let listenAt: { host: string; port: number } | null = null;
      if (opts.http) {
        try {
          listenAt = parseListen(opts.http);
        } catch (err) {
          usage((err as Error).message);
        }
        if (!isLoopback(listenAt!.host) && !opts.allowHost?.length) {
          usage(`binding to ${listenAt!.host} exposes the server beyond this machine: name the Host headers clients will use with --allow-host (DNS-rebinding protection), and put TLS in front (--tls-cert/--tls-key or a proxy)`);
        }
      }
      await withStore(cmd, async (db) => {
        const local = localPrincipal(opts.stdio ? 'stdio' : 'cli', stdioScopes);
        useCisoBriefingForMcp();
        const rt = await startRuntime(db, cfg, { surface: opts.stdio ? 'serve --stdio' : 'serve --http', principals: opts.stdio ? [local] : [] });
        for (const n of rt.notices) say(`notice: ${n}`);
        await rt.audit.append({
          principal: local.name, transport: 'cli', kind: 'command', name: 'serve',
          args: { stdio: Boolean(opts.stdio), http: opts.http ?? null, role: opts.stdio ? opts.role : null, allowHost: opts.allowHost ?? [], rateLimit: opts.rateLimit, tls: Boolean(opts.tlsCert) },
          durationMs: 0, outcome: 'ok',
        });
        try {
          if (opts.stdio) {
            say(`identity-copilot MCP server on stdio as ${local.name} (${local.scopes.join(' ')}); ${rt.tools.length} tools`);
            await serveStdio(rt, local);
            return;
          }
          const { host, port } = listenAt!;
          const verifier = new TokenVerifier(db, { onLastUseError: (err) => say(`notice: could not record token use: ${err.message}`) });
          // POST /ingest, the incremental engines and notifications (src/realtime); --watch follows files too.
          const realtime = await startRealtime(db, { config: cfg, watch: opts.watch ? { paths: opts.watch } : null, onEvent: (e) => {
            const line = textEvent(e);
            if (line) say(line);
          } });
          const { app, close } = createCopilotApp({ runtime: rt, verifier, host, allowedHosts: opts.allowHost, rateLimitPerMinute: opts.rateLimit, routes: [webView({ verifier }), realtime.routes] });
          const server = await listen(app, host, port, opts.tlsCert ? { cert: opts.tlsCert, key: opts.tlsKey } : undefined).catch(async (err) => {
            await realtime.stop();
            throw err;
          });
          if (!opts.tlsCert && !isLoopback(host)) say('notice: serving plain HTTP beyond loopback: bearer tokens cross the network in clear; use --tls-cert/--tls-key or a TLS proxy');
          say(`identity-copilot MCP server listening on ${server.url} (${rt.tools.length} tools; bearer tokens: idcopilot token create)`);
          say(`web view (incidents, briefing; sign in with a token): ${server.url.replace(/\/mcp$/, '/')}`);
          say(`ingest: POST ${server.url.replace(/\/mcp$/, '/ingest')} (scope write:ingest)${opts.watch ? `; watching ${opts.watch.join(', ')} (${realtime.files} file(s) found)` : ''}; incidents to ${realtime.notifyTarget ?? 'nowhere'}`);
          await new Promise<void>((resolve) => {
            process.once('SIGINT', resolve);
            process.once('SIGTERM', resolve);
          });
          say('stopping ...');
          await realtime.stop();
          await close();
          await server.close();
        } finally {
          await rt.close();
        }
      }, { audit: false });
    });
}
