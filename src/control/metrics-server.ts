// The Prometheus endpoint: GET /metrics renders a fresh snapshot of the
// router's views (metrics.ts); every other path is 404. A component with a
// start/stop lifecycle, started by the daemon when lvs.cf or the command line
// asks for it.
//
// It listens on loopback unless told otherwise: the counters name every
// virtual service and real server, which is not for every network to read.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { METRICS_CONTENT_TYPE, renderMetrics, type MetricsSnapshot } from './metrics.js';

export interface ListenAddress {
  host: string;
  port: number;
}

export class ListenAddressError extends Error {
  override name = 'ListenAddressError';
}

/**
 * `PORT` (then 127.0.0.1), `HOST:PORT` or `[IPV6]:PORT`. `:PORT`, which Go
 * programs such as node_exporter read as every address, is refused rather
 * than guessed at: the two readings differ in who can scrape.
 */
export function parseListen(text: string): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  if (!m) throw new ListenAddressError(`listen address ${JSON.stringify(text)}: want PORT, HOST:PORT or [IPV6]:PORT`);
  const [, v6, host, portText] = m;
  const port = Number(portText);
  if (port > 65535) throw new ListenAddressError(`listen address ${text}: port ${port} is past 65535`);
  if (!text.includes(':')) return { host: '127.0.0.1', port };
  if (!v6 && !host) {
    throw new ListenAddressError(`listen address ${text}: say which address, e.g. 127.0.0.1:${port} (this host only) or 0.0.0.0:${port} (every address)`);
  }
  return { host: v6 || host, port };
}

export interface MetricsServerOptions {
  /** Where to listen, as parseListen reads it. */
  listen: string;
  /** The views to render, read at each scrape. */
  snapshot: () => Promise<MetricsSnapshot>;
  /** Told when a scrape could not be answered (for the daemon's log). */
  onError?: (err: unknown) => void;
}

export class MetricsServer {
  private readonly where: ListenAddress;
  private server: Server | null = null;
  private bound: ListenAddress | null = null;

  constructor(private readonly opts: MetricsServerOptions) {
    this.where = parseListen(opts.listen);
  }

  /** Listens; rejects if the address cannot be bound (EADDRINUSE, EACCES, ...). */
  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => void this.answer(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.where.host, port: this.where.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const a = server.address() as AddressInfo;
    this.bound = { host: a.address, port: a.port };
    this.server = server;
  }

  /** The address it listens on (the real port when it was asked for port 0). */
  address(): ListenAddress {
    if (!this.bound) throw new Error('the metrics server is not started');
    return this.bound;
  }

  /** Stops listening; an answer being written is finished, idle keep-alive connections are closed. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    this.bound = null;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== '/metrics') return plain(res, 404, 'not found: the metrics are at /metrics\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return plain(res, 405, 'method not allowed: GET /metrics\n');
    }
    let body: string;
    try {
      body = await renderMetrics(await this.opts.snapshot());
    } catch (err) {
      this.opts.onError?.(err);
      // A failed scrape shows in Prometheus as up == 0, with this as the reason.
      return plain(res, 500, `tsvs: cannot read the router's state: ${err instanceof Error ? err.message : String(err)}\n`);
    }
    res.writeHead(200, { 'Content-Type': METRICS_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}
