// The half-open TCP check (health/probes/syn.ts) against a raw socket in memory:
// what it sends (a SYN a server accepts: ports, flags, checksum) and how it
// reads the answers a server's kernel gives (SYN-ACK open, RST refused, silence,
// strangers' segments). The same check against real kernels is in probes.test.ts.
import { afterEach, describe, expect, it } from 'vitest';
import { SynProber, tcpChecksum } from '../../src/health/probes/syn.js';
import type { RawModule, RawSocket } from '../../src/health/probes/raw-icmp.js';

const ip = (s: string) => s.split('.').reduce((a, o) => a * 256 + Number(o), 0);

class FakeRaw implements RawSocket {
  sent: Array<{ bytes: Buffer; to: string }> = [];
  closed = false;
  private onMsg: (b: Buffer, from: string) => void = () => {};
  send(buf: Buffer, offset: number, length: number, address: string, after: (err: Error | null, bytes: number) => void): void {
    this.sent.push({ bytes: Buffer.from(buf.subarray(offset, offset + length)), to: address });
    after(null, length);
  }
  setOption(): void {}
  on(event: string, cb: (...a: never[]) => void): void {
    if (event === 'message') this.onMsg = cb as (b: Buffer, from: string) => void;
  }
  close(): void {
    this.closed = true;
  }
  /** Bytes as the kernel hands them to this raw socket. */
  receive(b: Buffer, from: string): void {
    this.onMsg(b, from);
  }
  /** A TCP segment as the kernel hands it to a raw socket: IPv4 header, then TCP. */
  deliver(o: { src: string; dst: string; sport: number; dport: number; flags: number; ack: number }): void {
    const b = Buffer.alloc(40);
    b[0] = 0x45;
    b[9] = 6;
    b.writeUInt32BE(ip(o.src), 12);
    b.writeUInt32BE(ip(o.dst), 16);
    b.writeUInt16BE(o.sport, 20);
    b.writeUInt16BE(o.dport, 22);
    b.writeUInt32BE(0x1234, 24);
    b.writeUInt32BE(o.ack >>> 0, 28);
    b[32] = 0x50;
    b[33] = o.flags;
    this.onMsg(b, o.src);
  }
}

const SYN = 0x02, RST = 0x04, ACK = 0x10;
let open: SynProber[] = [];
afterEach(() => {
  for (const p of open) p.close();
  open = [];
});

async function prober(): Promise<{ p: SynProber; raw: FakeRaw; icmp: FakeRaw }> {
  const raw = new FakeRaw();
  const icmp = new FakeRaw();
  const mod = { createSocket: (o: { protocol: number }) => (o.protocol === 1 ? icmp : raw), Protocol: { ICMP: 1 }, SocketLevel: { IPPROTO_IP: 0 }, SocketOption: { IP_HDRINCL: 3 } } as RawModule;
  const p = (await SynProber.open(mod))!;
  open.push(p);
  return { p, raw, icmp };
}

/** A destination unreachable from `from` as a raw ICMP socket hands it over: IPv4, ICMP header, then the SYN's IP header and first 8 bytes. */
function unreachable(syn: Buffer, code: number, from: string): Buffer {
  const b = Buffer.alloc(20 + 8 + 28);
  b[0] = 0x45;
  b[9] = 1;
  b.writeUInt32BE(ip(from), 12);
  b.writeUInt32BE(syn.readUInt32BE(12), 16);
  b[20] = 3;
  b[21] = code;
  syn.copy(b, 28, 0, 28);
  return b;
}

const target = { address: '198.18.5.5', port: 80, bindTo: '198.18.0.2' };

describe('half-open TCP check', () => {
  it('sends a SYN from its reserved port to the server port, with a checksum the server accepts', async () => {
    const { p, raw } = await prober();
    const r = p.probe(8080, target, 50);
    await new Promise((res) => setImmediate(res));
    expect(raw.sent).toHaveLength(1);
    const { bytes: b, to } = raw.sent[0];
    expect(to).toBe('198.18.5.5');
    // Its own IPv4 header (IP_HDRINCL), from bindTo: version 4, 40 bytes, DF, TTL 64, TCP.
    expect([b[0], b.readUInt16BE(2), b.readUInt16BE(6), b[8], b[9], b.readUInt32BE(12), b.readUInt32BE(16)])
      .toEqual([0x45, 40, 0x4000, 64, 6, ip('198.18.0.2'), ip('198.18.5.5')]);
    const h = b.subarray(20);
    expect([h.readUInt16BE(0), h.readUInt16BE(2), h[12] >> 4, h[13]]).toEqual([p.port, 8080, 5, SYN]);
    // The receiver's check: the one's-complement sum over pseudo-header and header, checksum included, is 0xffff.
    const sum = (tcpChecksum(ip('198.18.0.2'), ip('198.18.5.5'), h) ^ 0xffff) + h.readUInt16BE(16);
    expect((sum & 0xffff) + (sum >>> 16)).toBe(0xffff);
    expect(h.readUInt16BE(16)).toBe(tcpChecksum(ip('198.18.0.2'), ip('198.18.5.5'), h));
    expect((await r).detail).toBe('timed out after 50 ms');
  });

  it('a SYN-ACK acking its SYN is open; a RST is refused; strangers and wrong acks are ignored', async () => {
    const { p, raw } = await prober();
    const up = p.probe(80, target, 2000);
    const refused = p.probe(81, target, 2000);
    await new Promise((res) => setImmediate(res));
    const iss = (port: number) => raw.sent.find((s) => s.bytes.readUInt16BE(22) === port)!.bytes.readUInt32BE(24);
    const reply = { src: '198.18.5.5', dst: '198.18.0.2', dport: p.port };
    raw.deliver({ ...reply, sport: 80, flags: SYN | ACK, ack: iss(80) }); // acks the wrong number: not ours
    raw.deliver({ ...reply, src: '198.18.5.6', sport: 80, flags: SYN | ACK, ack: iss(80) + 1 }); // another server
    raw.deliver({ ...reply, dport: p.port + 1, sport: 80, flags: SYN | ACK, ack: iss(80) + 1 }); // another port of ours
    raw.deliver({ ...reply, sport: 80, flags: SYN | ACK, ack: iss(80) + 1 });
    raw.deliver({ ...reply, sport: 81, flags: RST | ACK, ack: iss(81) + 1 });
    expect(await up).toMatchObject({ ok: true, detail: 'open (SYN-ACK)' });
    expect(await refused).toMatchObject({ ok: false, detail: 'connection refused (RST)' });
  });

  it('a destination unreachable quoting its SYN is down at once, as connect() fails; one quoting another SYN is ignored', async () => {
    const { p, raw, icmp } = await prober();
    const r = p.probe(80, target, 5000);
    await new Promise((res) => setImmediate(res));
    const syn = raw.sent[0].bytes;
    const other = Buffer.from(syn);
    other.writeUInt32BE((syn.readUInt32BE(24) + 1) >>> 0, 24); // another sequence number: not this probe's
    icmp.receive(unreachable(other, 1, '198.18.0.1'), '198.18.0.1');
    icmp.receive(unreachable(syn, 13, '198.18.0.1'), '198.18.0.1');
    expect(await r).toMatchObject({ ok: false, detail: 'communication administratively prohibited (ICMP from 198.18.0.1)' });
    p.close();
    open = [];
    expect(icmp.closed).toBe(true);
  });

  it('resends the SYN after 1 s as connect() does, and gives up at the deadline', async () => {
    const { p, raw } = await prober();
    const r = await p.probe(80, target, 1300);
    expect(r.detail).toBe('timed out after 1300 ms');
    expect(raw.sent).toHaveLength(2);
    expect(raw.sent[1].bytes.readUInt32BE(24)).toBe(raw.sent[0].bytes.readUInt32BE(24));
  });

  it('refuses what is not an IPv4 address, and closing ends what is in flight', async () => {
    const { p, raw } = await prober();
    expect((await p.probe(80, { address: 'rs1.example', port: 80 }, 100)).detail).toBe('not an IPv4 address: rs1.example');
    const r = p.probe(80, target, 5000);
    await new Promise((res) => setImmediate(res));
    p.close();
    open = [];
    expect(await r).toMatchObject({ ok: false, detail: 'the checker stopped' });
    expect(raw.closed).toBe(true);
  });

  it('is not to be had without raw sockets: open() says null', async () => {
    const mod = { createSocket: () => { throw new Error('EPERM'); } } as unknown as RawModule;
    expect(await SynProber.open(mod)).toBeNull();
    expect(await SynProber.open(null)).toBeNull();
  });
});
