import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { Express } from 'express';
import ipaddr from 'ipaddr.js';

/** `127.0.0.1:8787`, `localhost:8787`, `[::1]:8787`, `0.0.0.0:8787` -> host and port. */
export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(value.trim());
  if (!m) throw new Error(`--http expects HOST:PORT (e.g. 127.0.0.1:8787), got "${value}"`);
  const port = Number(m[3]);
  if (port > 65535) throw new Error(`--http: port ${port} is out of range`);
  return { host: m[1] ?? m[2], port };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  return ipaddr.isValid(host) && ipaddr.parse(host).range() === 'loopback';
}

export interface Listening {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** Listen on host:port, over TLS when a certificate and key are given. */
export async function listen(app: Express, host: string, port: number, tls?: { cert: string; key: string }): Promise<Listening> {
  const server = tls ? createHttpsServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, app) : createHttpServer(app);
  // Bound how long a slow client may hold a connection while sending headers or a body.
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    server,
    url: `${tls ? 'https' : 'http'}://${shown}:${actualPort}/mcp`,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections?.();
    }),
  };
}
