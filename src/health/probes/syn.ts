// A plain TCP check without a connection (a "half-open" check, as large-scale
// checkers do it): a SYN out on one raw socket shared by every probe, and the
// server's SYN-ACK (port open: up) or RST (refused: down) back on the same
// socket. The kernel answers the SYN-ACK with a RST of its own, as it does for
// any segment to a port no socket has, so the server keeps no half-open entry.
//
// Why: a connect() costs the monitor about 0.35 ms of CPU (socket, libuv
// handles, the close, a TIME_WAIT entry), so one thread does about 2,900
// checks a second and 10,000 servers every 2 s is beyond it. A SYN probe is a
// sendto, a parsed reply and a map lookup.
//
// The source port: one port reserved for the process by a listener on
// 127.0.0.1 (autobind connect() never picks a port in the bind table, and a
// SYN-ACK to the router's other addresses finds no socket, so the kernel
// resets it). Verdicts as connect() gives them: SYN-ACK up; RST refused; a
// destination unreachable quoting the SYN (a router's host unreachable, a
// firewall's `reject`, which answers TCP with ICMP port unreachable unless told
// otherwise) down at once, as connect() fails with ECONNREFUSED or EHOSTUNREACH,
// read on a second raw socket for ICMP; no answer by the deadline timed out (the
// SYN is resent after 1 s and 3 s as the kernel's connect would).
import { createSocket as udpSocket } from 'node:dgram';
import net from 'node:net';
import type { ProbeResult, ProbeTarget } from '../types.js';
import { attempt } from './attempt.js';
import { dotted, icmpError, icmpErrorText, loadRaw, type RawModule, type RawSocket } from './raw-icmp.js';
import { ICMP_DEST_UNREACH } from '../../packet/icmp.js';

const TCP = 6;
const SYN = 0x02, RST = 0x04, ACK = 0x10;
/** When the SYN goes again while no answer came (ms after the first), as the kernel's connect retransmits. */
const RESEND_MS = [1000, 3000];

interface Pending {
  iss: number;
  verdict(ok: boolean, detail: string): void;
}

export class SynProber {
  private readonly pending = new Map<number, Pending[]>();
  /** The source address the kernel's routing picks for each server (cached: one lookup per server). */
  private readonly sources = new Map<string, Promise<string>>();

  private constructor(
    private readonly sock: RawSocket,
    private readonly reserve: net.Server,
    readonly port: number,
    /** Where destination unreachables come in; null without one (a check then times out instead). */
    private readonly icmp: RawSocket | null,
  ) {
    sock.on('message', (buf) => this.received(buf));
    sock.on('error', () => {}); // a failed send is seen by its probe timing out
    icmp?.on('message', (buf) => this.unreachable(buf));
    icmp?.on('error', () => {});
  }

  /** A prober, or null where raw TCP sockets are not to be had (no raw-socket package, no CAP_NET_RAW). */
  static async open(mod: RawModule | null = loadRaw()): Promise<SynProber | null> {
    if (mod === null) return null;
    let sock: RawSocket;
    try {
      sock = mod.createSocket({ protocol: TCP });
      // Our own IP header: the source is the check's bindTo, not whatever the route prefers.
      sock.setOption(mod.SocketLevel.IPPROTO_IP, mod.SocketOption.IP_HDRINCL, 1);
    } catch {
      return null;
    }
    const reserve = net.createServer((c) => c.destroy());
    const port = await new Promise<number | null>((resolve) => {
      reserve.once('error', () => resolve(null));
      reserve.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => resolve((reserve.address() as net.AddressInfo).port));
    });
    if (port === null) {
      sock.close();
      return null;
    }
    reserve.unref();
    return new SynProber(sock, reserve, port, openIcmpSocket(mod));
  }

  close(): void {
    this.sock.close();
    this.icmp?.close();
    this.reserve.close();
    // Each verdict removes its probe from its list: walk copies.
    for (const list of [...this.pending.values()]) for (const p of [...list]) p.verdict(false, 'the checker stopped');
    this.pending.clear();
  }

  probe(port: number, target: ProbeTarget, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
    return attempt(timeoutMs, signal, (a) => {
      const dst = ipv4(target.address);
      if (dst === null) return a.fail(`not an IPv4 address: ${target.address}`);
      const key = dst * 65536 + port;
      const p: Pending = { iss: (Math.random() * 0x100000000) >>> 0, verdict: (ok, detail) => (ok ? a.ok(detail) : a.fail(detail)) };
      const list = this.pending.get(key) ?? [];
      list.push(p);
      this.pending.set(key, list);
      const timers: NodeJS.Timeout[] = [];
      a.onEnd(() => {
        for (const t of timers) clearTimeout(t);
        const l = this.pending.get(key);
        if (!l) return;
        l.splice(l.indexOf(p), 1);
        if (l.length === 0) this.pending.delete(key);
      });
      void this.source(target).then((src) => {
        if (a.settled) return;
        const send = (): void => this.sendSyn(src, target.address, port, p.iss);
        send();
        for (const ms of RESEND_MS) if (ms < a.timeoutMs) timers.push(setTimeout(send, ms));
      }, (e: Error) => a.fail(`no route: ${e.message}`));
    });
  }

  private source(target: ProbeTarget): Promise<string> {
    if (target.bindTo) return Promise.resolve(target.bindTo);
    let s = this.sources.get(target.address);
    if (!s) {
      s = routeSource(target.address);
      s.catch(() => this.sources.delete(target.address));
      this.sources.set(target.address, s);
    }
    return s;
  }

  private sendSyn(src: string, dst: string, port: number, iss: number): void {
    // A buffer per SYN: raw-socket queues the send and reads the bytes later.
    const b = Buffer.alloc(40);
    const [s, d] = [ipv4(src)!, ipv4(dst)!];
    // IPv4 header (IP_HDRINCL): the kernel fills in the id and the header checksum.
    b[0] = 0x45;
    b.writeUInt16BE(40, 2);
    b.writeUInt16BE(0x4000, 6); // DF
    b[8] = 64;
    b[9] = TCP;
    b.writeUInt32BE(s, 12);
    b.writeUInt32BE(d, 16);
    const h = b.subarray(20);
    h.writeUInt16BE(this.port, 0);
    h.writeUInt16BE(port, 2);
    h.writeUInt32BE(iss, 4);
    h[12] = 5 << 4; // 20-byte header, no options
    h[13] = SYN;
    h.writeUInt16BE(65535, 14);
    h.writeUInt16BE(tcpChecksum(s, d, h), 16);
    this.sock.send(b, 0, 40, dst, () => {});
  }

  /** A TCP segment the kernel delivered here (IP header first): a reply to one of ours, or not ours. */
  private received(b: Buffer): void {
    if (b.length < 20 || b[9] !== TCP) return;
    const ihl = (b[0] & 0x0f) * 4;
    if (b.length < ihl + 20 || b.readUInt16BE(ihl + 2) !== this.port) return;
    const flags = b[ihl + 13];
    if ((flags & ACK) === 0) return;
    const list = this.pending.get(b.readUInt32BE(12) * 65536 + b.readUInt16BE(ihl));
    const p = list?.find((x) => b.readUInt32BE(ihl + 8) === ((x.iss + 1) >>> 0));
    if (!p) return;
    if ((flags & (SYN | RST)) === SYN) p.verdict(true, 'open (SYN-ACK)');
    else if (flags & RST) p.verdict(false, 'connection refused (RST)');
  }

  /** An ICMP message the kernel delivered: a destination unreachable that quotes one of our SYNs (its ports and sequence number) fails that probe. */
  private unreachable(b: Buffer): void {
    const e = icmpError(b);
    if (e === null || e.type !== ICMP_DEST_UNREACH) return;
    const { inner, innerL4: l4 } = e;
    if (inner[9] !== TCP || ((inner[l4] << 8) | inner[l4 + 1]) !== this.port) return;
    const list = this.pending.get(ipv4(dotted(inner, 16))! * 65536 + ((inner[l4 + 2] << 8) | inner[l4 + 3]));
    const seq = ((inner[l4 + 4] << 24) | (inner[l4 + 5] << 16) | (inner[l4 + 6] << 8) | inner[l4 + 7]) >>> 0;
    list?.find((x) => x.iss === seq)?.verdict(false, `${icmpErrorText(e)} (ICMP from ${e.from})`);
  }
}

/** The raw ICMP socket for destination unreachables, or null (the checks go on without it). */
function openIcmpSocket(mod: RawModule): RawSocket | null {
  try {
    return mod.createSocket({ protocol: mod.Protocol.ICMP });
  } catch {
    return null;
  }
}

function ipv4(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  const o = m.slice(1).map(Number);
  return o.some((x) => x > 255) ? null : ((o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3]) >>> 0;
}

/** The TCP checksum of a 20-byte header with no payload: the pseudo-header (src, dst, 0, 6, 20) and the header. */
export function tcpChecksum(src: number, dst: number, h: Uint8Array): number {
  let sum = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + TCP + h.length;
  for (let i = 0; i + 1 < h.length; i += 2) if (i !== 16) sum += (h[i] << 8) | h[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** The address the router's routing table sends from towards `dst` (a connected UDP socket sends nothing). */
function routeSource(dst: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = udpSocket('udp4');
    s.on('error', (e) => {
      s.close();
      reject(e);
    });
    s.connect(9, dst, () => {
      const a = s.address().address;
      s.close();
      resolve(a);
    });
  });
}
