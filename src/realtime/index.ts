import type { Express } from 'express';
import type { RouteKit } from '../mcp/index.js';
import type { Config } from '../model/index.js';
import type { Db } from '../store/index.js';
import { ingestRoutes, type IngestRouteOptions } from './http.js';
import { slackTargetFromEnv, type NotifyTarget } from './notifier.js';
import { RealtimeService, type RealtimeEvent, type RealtimeOptions } from './service.js';
import { Watcher, type WatchEvent, type WatchOptions } from './watcher.js';

export { RealtimeService, type RealtimeEvent, type RealtimeStatus } from './service.js';
export { Watcher, type WatchEvent, type WatchOptions } from './watcher.js';
export { ingestRoutes, DEFAULT_MAX_BODY } from './http.js';
export { IngestQueue, DEFAULT_QUEUE_LIMITS } from './queue.js';
export type { IncidentChange, EngineRun } from './engines.js';

/**
 * Real time as `watch` and `serve --http [--watch]` run it: the service (queue, lane, incremental
 * engines, risk cadence, notifier), a watcher when paths are given, and the POST /ingest routes for the
 * HTTP server. Slack when SLACK_WEBHOOK_URL or SLACK_BOT_TOKEN is set, printed otherwise.
 */
export interface StartRealtimeOptions extends Omit<RealtimeOptions, 'notify' | 'onEvent'> {
  config: Config;
  watch?: Omit<WatchOptions, 'registry'> | null;
  /** `auto` (default): Slack when configured, else print; `print`; `none`. */
  notify?: 'auto' | 'print' | 'none';
  /** Where printed announcements go (default stdout). */
  print?: (text: string) => void;
  http?: IngestRouteOptions;
  onEvent?: (e: RealtimeEvent | { type: 'watch'; event: WatchEvent }) => void;
}

export interface Realtime {
  service: RealtimeService;
  watcher: Watcher | null;
  /** Files found when watching started (the backlog is read after ready). */
  files: number;
  notifyTarget: string | null;
  routes: (app: Express, kit: RouteKit) => void;
  stop(): Promise<void>;
}

export async function startRealtime(db: Db, opts: StartRealtimeOptions): Promise<Realtime> {
  let target: NotifyTarget | null = null;
  const mode = opts.notify ?? 'auto';
  if (mode !== 'none') {
    const slack = mode === 'auto' ? slackTargetFromEnv(opts.config) : null;
    target = slack ? { kind: 'slack', target: slack } : { kind: 'print', write: opts.print ?? ((t) => process.stdout.write(`${t}\n`)) };
  }
  const service = new RealtimeService(db, {
    ...opts,
    notify: target ? { target, minSeverity: opts.config.slack.minSeverity, webUrl: opts.config.slack.webUrl } : null,
    onEvent: opts.onEvent,
  });
  await service.start();
  let watcher: Watcher | null = null;
  let files = 0;
  if (opts.watch) {
    watcher = new Watcher(db, opts.watch, service.commitRunner, (event) => opts.onEvent?.({ type: 'watch', event }));
    try {
      files = (await watcher.start()).files;
    } catch (err) {
      await service.stop();
      throw err;
    }
  }
  return {
    service, watcher, files,
    notifyTarget: target ? (target.kind === 'slack' ? (target.target.kind === 'webhook' ? 'Slack (webhook)' : `Slack (${target.target.channel})`) : 'print') : null,
    routes: ingestRoutes(service, opts.http),
    async stop() {
      await watcher?.stop();
      await service.stop();
    },
  };
}
