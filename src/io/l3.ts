// Sending whole IPv4 packets at layer 3 (the kernel routes them and picks the
// next hop's MAC) with the `raw-socket` npm package: for the few packets the router
// originates itself rather than forwards, e.g. ICMP errors. Not a data path.
//
// A SOCK_RAW/IPPROTO_RAW socket: the header is ours (IP_HDRINCL implied); the kernel
// fills the total length and IP checksum (and the id when 0), but not TCP/UDP/ICMP
// checksums (LAB-NOTES gotcha 4). raw-socket sends one packet per writable event
// from an unbounded queue, so the queue is bounded here.
import { createRequire } from 'node:module';
import { inNetns } from './native.js';

interface RawSocket {
  send(buf: Buffer, offset: number, length: number, address: string, after: (err: Error | null, bytes: number) => void): void;
  on(event: 'error', cb: (e: Error) => void): void;
  close(): void;
}
interface RawModule {
  createSocket(o: { protocol: number; addressFamily?: number }): RawSocket;
}

const IPPROTO_RAW = 255;

export function loadRawSocket(): RawModule {
  try {
    return createRequire(import.meta.url)('raw-socket') as RawModule;
  } catch (e) {
    throw new Error(`L3 sending needs the raw-socket npm package (npm install): ${(e as Error).message}`);
  }
}

export interface L3Options {
  /** Open the socket in this network namespace (needs the native addon for setns). */
  netns?: string;
  /** Packets waiting to be sent at most; more are refused. Default 1024. */
  maxPending?: number;
}

export class L3Sender {
  private readonly sock: RawSocket;
  private pending = 0;
  private readonly maxPending: number;
  private closed = false;
  /** Errors of the socket itself (not of one send); the socket is closed after one. */
  lastError: Error | null = null;

  constructor(opts: L3Options = {}, raw: RawModule = loadRawSocket()) {
    this.maxPending = opts.maxPending ?? 1024;
    this.sock = inNetns(opts.netns, () => {
      try {
        return raw.createSocket({ protocol: IPPROTO_RAW });
      } catch (e) {
        const m = (e as Error).message;
        throw new Error(`raw socket: ${m}${/not permitted/i.test(m) ? ' (run as root)' : ''}`);
      }
    });
    this.sock.on('error', (e) => {
      this.lastError = e;
      this.closed = true;
    });
  }

  /** Packets queued and not yet sent. */
  get queued(): number {
    return this.pending;
  }

  /**
   * Sends one IPv4 packet (from its IP header on) to `dst`, by default its own
   * destination address. Resolves with the bytes sent; the packet is copied, so
   * the caller may reuse its buffer at once.
   */
  send(packet: Uint8Array, dst?: string): Promise<number> {
    if (this.closed) return Promise.reject(new Error('L3Sender is closed'));
    if (packet.length < 20 || packet[0] >> 4 !== 4) return Promise.reject(new RangeError('not an IPv4 packet'));
    if (this.pending >= this.maxPending) {
      return Promise.reject(Object.assign(new Error(`L3 send queue full (${this.maxPending} packets)`), { code: 'EAGAIN' }));
    }
    const to = dst ?? `${packet[16]}.${packet[17]}.${packet[18]}.${packet[19]}`;
    const copy = Buffer.from(packet);
    this.pending++;
    return new Promise((resolve, reject) => {
      this.sock.send(copy, 0, copy.length, to, (err, bytes) => {
        this.pending--;
        if (err) reject(err);
        else resolve(bytes);
      });
    });
  }

  close(): void {
    if (this.closed && !this.lastError) return;
    this.closed = true;
    try {
      this.sock.close();
    } catch {
      /* already closed after an error */
    }
  }
}
