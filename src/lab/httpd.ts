// The lab's built-in real server: `node dist/src/lab/httpd.js --port 80 --name rs2 --addr 198.19.0.12`,
// started inside a real server's namespace. Self-contained (node: imports only).
//   GET /            -> "rs2 198.19.0.12\n" (names the server that answered)
//   GET /bytes?n=N   -> N deterministic bytes (fillPattern), streamed, for download tests with a checksum
//   GET /sleep?ms=N  -> answers after N ms (at most 120 s): a connection that stays open on purpose
//   POST /sha256     -> the sha256 (hex) of the request body: uploads through the router checked end to end
//   GET /health      -> the server's health status (200 "ok" unless set), for HTTP health checks
//   GET /health?set=N -> sets it (100..599), from the server's own namespace only (loopback):
//                       a test or the demo makes one server "sick" while it still serves /
// HTTP/1.1 keep-alive; logs nothing per request; prints one "listening ..." line when ready.
// Listens on 0.0.0.0 unless told (--host ::, as a dual-stack lab starts it: IPv4 and IPv6 both).
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { realpathSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

/** murmur3's 32-bit finaliser: every 4-byte word of the stream differs from its neighbours. */
function mix(k: number): number {
  let h = (k ^ 0x9e3779b9) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Byte `pos` of the pattern: byte (pos % 4) of the little-endian word mix(pos / 4 mod 2^32). */
export function patternByte(pos: number): number {
  return (mix(Math.floor(pos / 4) >>> 0) >>> (8 * (pos % 4))) & 0xff;
}

/** Fills `buf` with the pattern bytes starting at stream offset `offset`. */
export function fillPattern(buf: Uint8Array, offset: number): void {
  let i = 0;
  let pos = offset;
  while (i < buf.length && pos % 4 !== 0) buf[i++] = patternByte(pos++);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let k = pos / 4;
  for (; i + 4 <= buf.length; i += 4, k++) dv.setUint32(i, mix(k >>> 0), true);
  pos = offset + i;
  while (i < buf.length) buf[i++] = patternByte(pos++);
}

/** The sha256 (hex) of /bytes?n=N: what a client's download must hash to. */
export function patternSha(n: number): string {
  const h = createHash('sha256');
  const chunk = new Uint8Array(1 << 20);
  for (let off = 0; off < n; off += chunk.length) {
    const part = chunk.subarray(0, Math.min(chunk.length, n - off));
    fillPattern(part, off);
    h.update(part);
  }
  return h.digest('hex');
}

export const MAX_BYTES = 2 ** 40;
const MAX_SLEEP_MS = 120_000;
const CHUNK = 256 * 1024;

export interface HttpdOptions {
  name: string;
  addr: string;
  port: number;
  host: string;
  /** What GET /health answers; changed by GET /health?set=N from loopback. */
  health?: number;
}

function intParam(url: URL, key: string, max: number): number | null {
  const v = url.searchParams.get(key);
  if (v === null || !/^\d{1,16}$/.test(v)) return null;
  const n = Number(v);
  return n <= max ? n : null;
}

function text(res: ServerResponse, status: number, body: string, name: string): void {
  res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), 'x-server': name });
  res.end(body);
}

function streamBytes(req: IncomingMessage, res: ServerResponse, n: number, name: string): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': n, 'x-server': name });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  let sent = 0;
  const pump = (): void => {
    while (sent < n && !res.destroyed) {
      const b = Buffer.allocUnsafe(Math.min(CHUNK, n - sent));
      fillPattern(b, sent);
      sent += b.length;
      if (!res.write(b)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  pump();
}

export function handle(req: IncomingMessage, res: ServerResponse, o: HttpdOptions): void {
  const url = new URL(req.url ?? '/', 'http://lab');
  if (req.method === 'POST' && url.pathname === '/sha256') return sha256Body(req, res, o.name);
  if (req.method !== 'GET' && req.method !== 'HEAD') return text(res, 405, 'GET or HEAD only (and POST /sha256)\n', o.name);
  if (url.pathname === '/') return text(res, 200, `${o.name} ${o.addr}\n`, o.name);
  if (url.pathname === '/bytes') {
    const n = intParam(url, 'n', MAX_BYTES);
    if (n === null) return text(res, 400, `/bytes?n=N: want 0 <= N <= ${MAX_BYTES}\n`, o.name);
    return streamBytes(req, res, n, o.name);
  }
  if (url.pathname === '/health') return health(req, res, url, o);
  if (url.pathname === '/sleep') {
    const ms = intParam(url, 'ms', MAX_SLEEP_MS);
    if (ms === null) return text(res, 400, `/sleep?ms=N: want 0 <= N <= ${MAX_SLEEP_MS}\n`, o.name);
    const t = setTimeout(() => text(res, 200, `${o.name} slept ${ms}\n`, o.name), ms);
    res.once('close', () => clearTimeout(t));
    return;
  }
  text(res, 404, 'not found: try /, /bytes?n=N, /sleep?ms=N, /health or POST /sha256\n', o.name);
}

/** Hashes the body as it streams in (any size, nothing kept) and answers with the hash. */
function sha256Body(req: IncomingMessage, res: ServerResponse, name: string): void {
  const h = createHash('sha256');
  let n = 0;
  req.on('data', (chunk: Buffer) => {
    h.update(chunk);
    n += chunk.length;
  });
  req.on('end', () => text(res, 200, `${h.digest('hex')} ${n}\n`, name));
}

function health(req: IncomingMessage, res: ServerResponse, url: URL, o: HttpdOptions): void {
  const set = url.searchParams.get('set');
  if (set === null) {
    const code = o.health ?? 200;
    return text(res, code, code < 400 ? 'ok\n' : `sick (${code})\n`, o.name);
  }
  const from = req.socket.remoteAddress ?? '';
  if (from !== '127.0.0.1' && from !== '::1' && from !== '::ffff:127.0.0.1') return text(res, 403, '/health?set=N only from loopback\n', o.name);
  const code = Number(set);
  if (!Number.isInteger(code) || code < 100 || code > 599) return text(res, 400, '/health?set=N: want 100..599\n', o.name);
  o.health = code;
  text(res, 200, `health ${code}\n`, o.name);
}

function firstAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

export function main(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: { port: { type: 'string', default: '80' }, name: { type: 'string', default: 'rs' }, addr: { type: 'string' }, host: { type: 'string', default: '0.0.0.0' } },
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--port ${values.port}: want 1-65535`);
  const o: HttpdOptions = { name: values.name!, addr: values.addr ?? firstAddress(), port, host: values.host! };
  const server = createServer((req, res) => handle(req, res, o));
  // Keep-alive clients (wrk, ab -k) hold connections between requests; /sleep holds one on purpose.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 0;
  // Benchmarks open many connections at once.
  server.listen({ port: o.port, host: o.host, backlog: 4096 }, () => {
    process.stdout.on('error', () => {}); // the lab closes the pipe once it has read the line
    process.stdout.write(`listening ${o.name} ${o.host}:${o.port}\n`);
  });
  server.on('error', (e) => {
    process.stderr.write(`httpd ${o.name}: ${e.message}\n`);
    process.exit(1);
  });
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function isEntryPoint(): boolean {
  try {
    return process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`httpd: ${(e as Error).message}\n`);
    process.exit(2);
  }
}
