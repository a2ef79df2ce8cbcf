// The control API: HTTP/1.1 with JSON bodies on a unix socket (default
// /run/tsvs/tsvs.sock, mode 0600, owned by root), versioned under /v1. Reads
// answer from the running table and the data plane's shared counters; changes
// go to the backend (the daemon), which serializes them, applies each list of
// ops as one table version and answers with it. Who asks is known from the
// socket (SO_PEERCRED): only root may change anything, and every change is
// logged with the uid. A bad request is a 4xx with a clear message and changes
// nothing.
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { makeDirs } from '../io/make-dirs.js';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { getRequestListener, type HttpBindings } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { OpError } from './ops.js';
import { canonicalServiceId, parseServerRef, parseServiceId } from './service-id.js';
import { DEFAULT_SOCKET, type FailoverView, type HealthForce, type HealthServerView, type HealthView, type ServiceSelector, type ChangeResult, type ConnPage, type DataPlaneView, type Op, type ReloadView, type StatusView, type TableView, type TimeoutsView } from './types.js';

/** Largest request body: a restore of some ten thousand servers. */
const MAX_BODY = 16 << 20;
/** Largest connection page. */
const MAX_PAGE = 100_000;

/** Who is at the other end of the socket. */
export interface Peer {
  uid: number;
  pid: number;
}

/** What the daemon answers the API with. */
export interface ControlBackend {
  status(): StatusView;
  table(): TableView;
  timeouts(): TimeoutsView;
  dataplane(): DataPlaneView;
  connections(offset: number, limit: number): Promise<ConnPage>;
  /** Applies the ops as one version; throws OpError (nothing changed). */
  change(ops: Op[], who: string): Promise<ChangeResult>;
  reload(who: string): Promise<ReloadView>;
  /** Health of every checked real server. */
  health(): HealthView;
  /** Forces a server (nanny's SIGUSR1/SIGUSR2), drains it, or gives it back to its checks; throws OpError. */
  forceHealth(service: ServiceSelector, server: { address: string; port: number }, force: HealthForce, who: string): Promise<HealthServerView>;
  /** The failover component; throws OpError ENOENT when there is none. */
  failover(): FailoverView;
  standby(on: boolean, who: string): Promise<FailoverView>;
}

export interface ServerOptions {
  path?: string;
  /** SO_PEERCRED of a connected socket; null when it cannot be read (the socket's mode then is the only guard). */
  peerOf?: (fd: number) => Peer | null;
  log: { info(m: string, f?: Record<string, unknown>): void; warn(m: string, f?: Record<string, unknown>): void };
}

type Env = { Bindings: HttpBindings };

const STATUS: Record<string, 400 | 403 | 404 | 409 | 500> = {
  EINVAL: 400, ENOPROTOOPT: 400, EAFNOSUPPORT: 400, EPERM: 403, ESRCH: 404, ENOENT: 404, EEXIST: 409,
};

export class ControlServer {
  readonly path: string;
  private server: Server | null = null;

  constructor(
    private readonly backend: ControlBackend,
    private readonly opts: ServerOptions,
  ) {
    this.path = opts.path ?? DEFAULT_SOCKET;
  }

  /** Listens on the socket; refuses when another router answers on it, replaces a stale one. */
  async start(): Promise<void> {
    await clearStale(this.path);
    makeDirs(dirname(this.path), 0o755);
    const server = createServer(getRequestListener(this.app().fetch));
    // The socket is created with the umask's mode: make it 0600 from the start, no window.
    const mask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.path, () => resolve());
      });
    } finally {
      process.umask(mask);
    }
    chmodSync(this.path, 0o600);
    this.server = server;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
    if (existsSync(this.path)) unlinkSync(this.path);
  }

  /** The routes (exposed for tests, which call them without a socket). */
  app(): Hono<Env> {
    const b = this.backend;
    const app = new Hono<Env>();
    app.get('/v1/status', (c) => c.json(b.status()));
    app.get('/v1/table', (c) => c.json(b.table()));
    app.get('/v1/services', (c) => c.json(b.table().services));
    app.get('/v1/services/:id', (c) => {
      const sel = parseServiceId(c.req.param('id'));
      const id = sel && canonicalServiceId(sel);
      const s = b.table().services.find((x) => x.id === id);
      if (!sel || !s) return fail(c, new OpError('ESRCH', `no service ${c.req.param('id')}`));
      return c.json(s);
    });
    app.get('/v1/timeouts', (c) => c.json(b.timeouts()));
    app.get('/v1/dataplane', (c) => c.json(b.dataplane()));
    app.get('/v1/connections', async (c) => {
      const offset = intParam(c.req.query('offset'), 0);
      const limit = intParam(c.req.query('limit'), 1000);
      if (offset < 0 || limit < 1 || limit > MAX_PAGE) return fail(c, new OpError('EINVAL', `offset must be >= 0 and limit 1..${MAX_PAGE}`));
      return c.json(await b.connections(offset, limit));
    });
    app.post('/v1/ops', (c) => this.change(c, async (body) => {
      const ops = (body as { ops?: unknown }).ops;
      if (!Array.isArray(ops)) throw new OpError('EINVAL', 'want {"ops": [...]}');
      return ops as Op[];
    }));
    app.post('/v1/services', (c) => this.change(c, async (body) => [{ ...(body as object), op: 'add-service' } as Op]));
    app.delete('/v1/services', (c) => this.change(c, async () => [{ op: 'clear' }]));
    app.patch('/v1/services/:id', (c) => this.change(c, async (body) => [{ ...(body as object), op: 'edit-service', service: service(c) } as Op]));
    app.delete('/v1/services/:id', (c) => this.change(c, async () => [{ op: 'delete-service', service: service(c) }]));
    app.post('/v1/services/:id/zero', (c) => this.change(c, async () => [{ op: 'zero', service: service(c) }]));
    app.post('/v1/services/:id/servers', (c) => this.change(c, async (body) => [{ ...(body as object), op: 'add-server', service: service(c) } as Op]));
    app.patch('/v1/services/:id/servers/:server', (c) => this.change(c, async (body) => [{ ...(body as object), op: 'edit-server', service: service(c), server: server(c) } as Op]));
    app.delete('/v1/services/:id/servers/:server', (c) => this.change(c, async () => [{ op: 'delete-server', service: service(c), server: server(c) }]));
    app.post('/v1/zero', (c) => this.change(c, async () => [{ op: 'zero' }]));
    app.put('/v1/timeouts', (c) => this.change(c, async (body) => [{ ...(body as object), op: 'set-timeouts' } as Op]));
    app.get('/v1/health', (c) => c.json(b.health()));
    app.post('/v1/health/:id/:server', async (c) => {
      const who = this.authorize(c);
      if (typeof who !== 'string') return who;
      const force = (await readJson(c) as { force?: unknown }).force;
      if (force !== 'up' && force !== 'down' && force !== 'drain' && force !== 'auto') {
        throw new OpError('EINVAL', `want {"force": "up" | "down" | "drain" | "auto"}, got ${JSON.stringify(force)}`);
      }
      return c.json(await b.forceHealth(service(c), server(c), force, who));
    });
    app.get('/v1/failover', (c) => c.json(b.failover()));
    app.post('/v1/failover', async (c) => {
      const who = this.authorize(c);
      if (typeof who !== 'string') return who;
      const standby = (await readJson(c) as { standby?: unknown }).standby;
      if (typeof standby !== 'boolean') throw new OpError('EINVAL', `want {"standby": true | false}, got ${JSON.stringify(standby)}`);
      return c.json(await b.standby(standby, who));
    });
    app.post('/v1/reload', async (c) => {
      const who = this.authorize(c);
      if (typeof who !== 'string') return who;
      return c.json(await b.reload(who));
    });
    app.notFound((c) => c.json({ error: { code: 'ENOTSUP', message: `no such endpoint: ${c.req.method} ${new URL(c.req.url).pathname} (see /v1/status, /v1/table, /v1/ops)` } }, 404));
    app.onError((e, c) => fail(c, e));
    return app;
  }

  /** A change: authorized, parsed, applied by the backend, answered with its version. */
  private async change(c: Context<Env>, ops: (body: unknown) => Promise<Op[]>): Promise<Response> {
    const who = this.authorize(c);
    if (typeof who !== 'string') return who;
    const body = await readJson(c);
    return c.json(await this.backend.change(await ops(body), who));
  }

  /** "uid 0 pid 123", or a 403 for anyone but root. */
  private authorize(c: Context<Env>): string | Response {
    const peer = peerOfRequest(c.env?.incoming, this.opts.peerOf);
    if (peer === null) return 'a local client (uid unknown; the socket is root-only)';
    if (peer.uid !== 0) {
      this.opts.log.warn('control API: change refused, client is not root', { uid: peer.uid, pid: peer.pid, request: `${c.req.method} ${new URL(c.req.url).pathname}` });
      return fail(c, new OpError('EPERM', 'only root may change the router'));
    }
    return `uid ${peer.uid} pid ${peer.pid}`;
  }
}

function peerOfRequest(incoming: IncomingMessage | undefined, peerOf: ServerOptions['peerOf']): Peer | null {
  const fd = (incoming?.socket as unknown as { _handle?: { fd?: number } } | undefined)?._handle?.fd;
  if (!peerOf || fd === undefined || fd < 0) return null;
  try {
    return peerOf(fd);
  } catch {
    return null;
  }
}

function service(c: Context<Env>): ReturnType<typeof parseServiceId> & object {
  const sel = parseServiceId(c.req.param('id') ?? '');
  if (!sel) throw new OpError('EINVAL', `${c.req.param('id')}: a service id is tcp-ADDR-PORT, udp-ADDR-PORT, fwm-MARK or fwm-MARK-6 (ADDR IPv4 or IPv6)`);
  return sel;
}

function server(c: Context<Env>): { address: string; port: number } {
  const ref = parseServerRef(c.req.param('server') ?? '');
  if (!ref) throw new OpError('EINVAL', `${c.req.param('server')}: a server is ADDR or ADDR:PORT ([ADDR]:PORT or ADDR for IPv6)`);
  return ref;
}

async function readJson(c: Context<Env>): Promise<unknown> {
  const text = await c.req.text();
  if (text.length > MAX_BODY) throw new OpError('EINVAL', `request body over ${MAX_BODY} bytes`);
  if (text.trim() === '') return {};
  try {
    const v = JSON.parse(text) as unknown;
    if (v === null || typeof v !== 'object') throw new Error('not an object');
    return v;
  } catch (e) {
    throw new OpError('EINVAL', `request body is not a JSON object: ${(e as Error).message}`);
  }
}

function intParam(v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  return /^\d+$/.test(v) ? Number(v) : -1;
}

function fail(c: Context<Env>, e: unknown): Response {
  if (e instanceof OpError) {
    const body = { error: { code: e.code, message: e.message, ...(e.index >= 0 ? { index: e.index } : {}) } };
    return c.json(body, STATUS[e.code] ?? 400);
  }
  return c.json({ error: { code: 'EIO', message: (e as Error).message ?? String(e) } }, 500);
}

/** A socket file left by a router that died: removed. One that answers: another router runs. */
async function clearStale(path: string): Promise<void> {
  if (!existsSync(path)) return;
  const alive = await new Promise<boolean>((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  if (alive) throw new Error(`another tsvs answers on ${path}; stop it first, or give this one another --control-socket`);
  unlinkSync(path);
}
