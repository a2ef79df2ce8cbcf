// Config sync (lvs.cf config_sync = 1, needs ha_key_file): the active router
// sends the lvs.cf it runs to its partner when it becomes active and whenever a
// reload raises serial_no; the partner installs it if it is valid and newer
// (config-apply.ts). One TCP connection per offer, to the partner's public
// address on config_sync_port (then its private one): a 4-byte big-endian length
// and a sealed body (ha/auth.ts, purpose "config"), answered the same way with a
// sealed JSON answer. Only a peer that is the partner and holds the key is
// answered; a file above MAX_CONFIG_BYTES is refused before it is read. An offer
// that gets no answer (the partner is down, or restarting) is tried again every
// RETRY_MS while this router stays active and has nothing newer to send.
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { ConfigSyncView } from '../control/types.js';
import { Opener, Sealer } from '../ha/auth.js';
import type { Timers } from '../health/monitor.js';
import { formatIPv4, parseIPv4 } from '../model/index.js';
import type { ConfigSyncAnswer } from './config-apply.js';
import type { Logger } from './log.js';

/** lvs.cf is a few KiB; 1 MiB bounds what a peer makes this router read. */
export const MAX_CONFIG_BYTES = 1 << 20;
const RETRY_MS = 10_000;
const RESULTS = ['applied', 'current', 'invalid', 'failed'] as const;
const TIMEOUT_MS = 10_000;

/** One request and one answer per connection; tests give a memory one. */
export interface ConfigSyncTransport {
  /** Serves on each address; the handler's null closes without an answer. */
  listen(addresses: number[], port: number, handler: (body: Uint8Array, from: number) => Promise<Uint8Array | null>): Promise<void>;
  /** Sends body, resolves with the answer; rejects on a refused connection, a timeout or no answer. */
  request(to: number, port: number, body: Uint8Array): Promise<Uint8Array>;
  close(): void;
}

export interface ConfigSyncDeps {
  port: number;
  key: Uint8Array;
  log: Logger;
  /** What this router runs: the lvs.cf text last loaded and its serial_no. */
  current(): { text: string; serial: number };
  /** Whether this router is the active one (only it sends). */
  active(): boolean;
  /** Installs a file the partner sent (config-apply.ts). */
  apply(text: string, from: string): Promise<ConfigSyncAnswer>;
  transport?: ConfigSyncTransport;
  timers?: Timers;
}

export class ConfigSync {
  private own: number[] = [];
  private partner: number[] = [];
  private sealer!: Sealer;
  private opener!: Opener;
  private readonly transport: ConfigSyncTransport;
  private readonly timers: Timers;
  private retry: unknown = null;
  private pending = false;
  private sending = false;
  private partnerSerial: number | null = null;
  private lastProblem = '';
  /** Received files are installed one at a time. */
  private applying: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private readonly sent = { offers: 0, applied: 0, current: 0, invalid: 0, failed: 0, unanswered: 0 };
  private readonly received = { applied: 0, current: 0, invalid: 0, failed: 0, stranger: 0 };

  constructor(private readonly deps: ConfigSyncDeps) {
    this.transport = deps.transport ?? tcpTransport();
    this.timers = deps.timers ?? { set: (fn, ms) => setTimeout(fn, ms).unref(), clear: (h) => clearTimeout(h as NodeJS.Timeout) };
  }

  /** Listens on this router's addresses; own[0] and partner[0] (the public ones) are the identities the envelope carries. */
  async start(pair: { own: number[]; partner: number[] }): Promise<void> {
    this.own = pair.own;
    this.partner = pair.partner;
    this.sealer = new Sealer(this.deps.key, 'config', this.own[0]);
    this.opener = new Opener(this.deps.key, 'config', this.own[0], this.partner[0]);
    await this.transport.listen(this.own, this.deps.port, (body, from) => this.serve(body, from));
    this.deps.log.info('config sync: listening', { port: this.deps.port, partner: this.partner.map(formatIPv4).join(',') });
    // Active already (--forceactive): the offer made as it claimed came before the listener.
    this.offer('start');
  }

  stop(): void {
    this.stopped = true;
    if (this.retry !== null) this.timers.clear(this.retry);
    this.transport.close();
  }

  /** This router became active, or a reload raised serial_no: send the file to the partner (when active). */
  offer(why: string): void {
    if (this.stopped || !this.opener || !this.deps.active()) return;
    const size = Buffer.byteLength(this.deps.current().text);
    if (size > MAX_CONFIG_BYTES) {
      this.deps.log.error('config sync: lvs.cf is too big to send', { bytes: size, limit: MAX_CONFIG_BYTES });
      return;
    }
    this.pending = true;
    this.deps.log.info('config sync: offering lvs.cf to the partner', { why, serial_no: this.deps.current().serial });
    void this.attempt();
  }

  view(): ConfigSyncView {
    const auth = this.opener ? { ...this.opener.stats } : { ok: 0, unauthenticated: 0, forged: 0, replayed: 0 };
    return { port: this.deps.port, partnerSerial: this.partnerSerial, pending: this.pending, sent: { ...this.sent }, received: { ...this.received }, auth };
  }

  private async attempt(): Promise<void> {
    if (this.sending) return; // the running attempt sends the newest file when it is done
    if (this.retry !== null) this.timers.clear(this.retry);
    this.retry = null;
    this.sending = true;
    try {
      while (this.pending && !this.stopped && this.deps.active()) {
        const cur = this.deps.current();
        this.pending = false;
        const answer = await this.send(cur.text);
        if (!answer) {
          this.sent.unanswered++;
          this.pending = true;
          if (!this.stopped) this.retry = this.timers.set(() => void this.attempt(), RETRY_MS);
          return;
        }
        this.answered(answer, cur.serial);
      }
    } finally {
      this.sending = false;
    }
  }

  /** Tries the partner's addresses in turn; the first authentic answer wins, null when none came. */
  private async send(text: string): Promise<ConfigSyncAnswer | null> {
    this.sent.offers++;
    const body = this.sealer.seal(new TextEncoder().encode(text));
    for (const to of this.partner) {
      try {
        const reply = await this.transport.request(to, this.deps.port, body);
        const r = this.opener.open(reply);
        if (!r.ok) throw new Error(`the answer was ${r.why}`);
        this.lastProblem = '';
        const a = JSON.parse(new TextDecoder().decode(r.payload)) as ConfigSyncAnswer;
        if (!RESULTS.includes(a.result)) throw new Error(`an answer of unknown result ${String(a.result)}`);
        return a;
      } catch (e) {
        this.problem(`${formatIPv4(to)}:${this.deps.port}: ${(e as Error).message}`);
      }
    }
    return null;
  }

  private answered(a: ConfigSyncAnswer, serial: number): void {
    const log = this.deps.log;
    this.sent[a.result]++;
    this.partnerSerial = a.serial;
    if (a.result === 'applied') log.info('config sync: the partner installed lvs.cf and reloaded', { serial_no: serial });
    else if (a.result === 'current') log.info('config sync: the partner already has this lvs.cf or a newer one', { serial_no: serial, partner_serial_no: a.serial });
    else for (const line of a.errors) log.error(`config sync: the partner refused lvs.cf (${a.result})`, { serial_no: serial, problem: line });
  }

  /** A request from a peer: only the partner, only sealed with the key; the answer is sealed too. */
  private async serve(body: Uint8Array, from: number): Promise<Uint8Array | null> {
    const log = this.deps.log;
    if (!this.partner.includes(from)) {
      this.received.stranger++;
      log.warn('config sync: a connection from an unexpected address was closed', { from: formatIPv4(from) });
      return null;
    }
    const r = this.opener.open(body);
    if (!r.ok) {
      log.warn(`config sync: ${r.why} lvs.cf dropped`, { from: formatIPv4(from), bytes: body.length });
      return null;
    }
    const text = new TextDecoder().decode(r.payload);
    const run = this.applying.then(() => this.deps.apply(text, formatIPv4(from)));
    this.applying = run.catch(() => {});
    const a = await run;
    this.received[a.result]++;
    if (a.result === 'invalid' || a.result === 'failed') {
      for (const line of a.errors) log.error(`config sync: the partner's lvs.cf was not installed (${a.result}); this router keeps its own`, { from: formatIPv4(from), problem: line });
    } else if (a.result === 'applied') log.info('config sync: installed the partner\'s lvs.cf', { from: formatIPv4(from), serial_no: a.serial });
    return this.sealer.seal(new TextEncoder().encode(JSON.stringify(a)));
  }

  /** A failed offer is logged when its reason changes, not at every retry. */
  private problem(what: string): void {
    if (what !== this.lastProblem) this.deps.log.warn('config sync: the partner did not answer; retrying every 10 s', { problem: what });
    this.lastProblem = what;
  }
}

/** TCP: a 4-byte big-endian length, then the body; one exchange per connection. */
export function tcpTransport(): ConfigSyncTransport {
  const servers: Server[] = [];
  return {
    async listen(addresses, port, handler) {
      for (const a of addresses) {
        const srv = createServer((sock) => serveOne(sock, handler));
        // One partner makes one exchange at a time; a few more leave room for retries, not for a flood.
        srv.maxConnections = 4;
        await new Promise<void>((resolve, reject) => {
          srv.once('error', reject);
          srv.listen(port, formatIPv4(a), () => {
            srv.off('error', reject);
            resolve();
          });
        });
        servers.push(srv);
      }
    },
    request(to, port, body) {
      return new Promise((resolve, reject) => {
        const sock = createConnection({ host: formatIPv4(to), port });
        sock.setTimeout(TIMEOUT_MS, () => sock.destroy(new Error('timed out')));
        sock.on('error', (e) => reject(new Error((e as NodeJS.ErrnoException).code ?? e.message)));
        sock.on('connect', () => sock.write(frame(body)));
        readFrame(sock, (b) => {
          sock.end();
          if (b) resolve(b);
          else reject(new Error('no answer'));
        });
      });
    },
    close() {
      for (const s of servers.splice(0)) s.close();
    },
  };
}

function serveOne(sock: Socket, handler: (body: Uint8Array, from: number) => Promise<Uint8Array | null>): void {
  sock.setTimeout(TIMEOUT_MS, () => sock.destroy());
  sock.on('error', () => {});
  const from = parseIPv4((sock.remoteAddress ?? '').replace(/^::ffff:/, '')) ?? 0;
  readFrame(sock, (b) => {
    if (!b) return sock.destroy();
    handler(b, from).then(
      (answer) => (answer ? sock.end(frame(answer)) : sock.destroy()),
      () => sock.destroy(),
    );
  });
}

function frame(body: Uint8Array): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
}

/** Reads one length-prefixed frame; null when the peer closes early or announces more than the bound. */
function readFrame(sock: Socket, done: (b: Uint8Array | null) => void): void {
  const parts: Buffer[] = [];
  let have = 0, want = -1, finished = false;
  const finish = (b: Uint8Array | null) => {
    if (finished) return;
    finished = true;
    done(b);
  };
  sock.on('data', (chunk: Buffer) => {
    parts.push(chunk);
    have += chunk.length;
    if (want < 0 && have >= 4) {
      want = Buffer.concat(parts).readUInt32BE(0);
      // The sealed file: the bound plus the envelope's trailer.
      if (want > MAX_CONFIG_BYTES + 64) return finish(null);
    }
    if (want >= 0 && have >= 4 + want) finish(Buffer.concat(parts).subarray(4, 4 + want));
  });
  sock.on('end', () => finish(null));
  sock.on('close', () => finish(null));
}
