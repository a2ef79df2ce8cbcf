// The native AF_PACKET backend over veth pairs in namespaces of its own (root only),
// and its loader and errors (everywhere the addon is built).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Batch, VERDICT_TX } from '../../src/frames/batch.js';
import { AfPacketPort } from '../../src/io/afpacket.js';
import { addonPath, loadNative, type NativeAddon } from '../../src/io/native.js';
import { buildIcmpError, buildUdp, ipv4Addr, ipv4Datagram } from '../../src/packet/build.js';
import { encode } from '../../src/io/cbpf.js';
import { clientHash, fanoutProgram } from '../../src/router/fanout-bpf.js';

const readU32 = (b: Uint8Array, o: number): number => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
import { isRoot } from '../../bench/io/netns.js';
import { frameOf } from './helpers.js';
import { portContract } from './port-contract.js';
import { vethHarness, vethPair, type VethPair } from './veth-harness.js';

const ROOT = isRoot();
const SKIP = ROOT ? '' : ' [skipped: needs root for network namespaces and AF_PACKET sockets]';
const built = existsSync(addonPath());
const raw = built ? (createRequire(import.meta.url)(addonPath()) as NativeAddon) : null;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('native loader', () => {
  it('says why the addon is not available instead of throwing', () => {
    const r = loadNative('/nonexistent/tsvs_afpacket.node');
    expect(r.addon).toBeNull();
    expect(r.reason).toMatch(/not built: .*missing/);
  });

  it.skipIf(!ROOT)('loads the built addon when root (CI builds it on npm install)', () => {
    const r = loadNative();
    expect(r.reason).toBeNull();
  });
});

describe.skipIf(!raw)(`native addon errors${raw ? '' : ' [skipped: addon not built]'}`, () => {
  it('opening a nonexistent device throws ENODEV with the device name', () => {
    expect(() => raw!.open('eth7', null, 1 << 20, 4, 7, -1)).toThrow(expect.objectContaining({ code: 'ENODEV', message: 'ENODEV: no such device eth7' }));
    expect(() => raw!.ifInfo('eth7')).toThrow(/^ENODEV: no such device eth7$/);
    if (ROOT) expect(() => new AfPacketPort(['lo', 'eth7'])).toThrow(/ENODEV: no such device eth7/);
  });

  it.skipIf(ROOT)('without root, socket() fails with EPERM and says to run as root', () => {
    expect(() => raw!.open('lo', null, 1 << 20, 4, 7, -1)).toThrow(/^EPERM: socket\(AF_PACKET\): Operation not permitted \(run as root\)$/);
  });

  it.skipIf(!ROOT)('a bad filter throws EINVAL with libpcap\'s reason', () => {
    expect(() => raw!.open('lo', 'tcp port', 1 << 20, 4, 7, -1)).toThrow(/^EINVAL: bad filter "tcp port": .*syntax error/);
  });

  it('bad arguments throw, they do not abort', () => {
    expect(() => raw!.rx({} as never, [] as never, 0, 0, 1, 0)).toThrow(/EBADF|EINVAL/);
    expect(() => (raw!.open as (...a: unknown[]) => unknown)(42)).toThrow(/EINVAL/);
  });
});

describe.skipIf(!ROOT)(`AfPacketPort over veth${SKIP}`, () => {
  let pair: VethPair;
  beforeAll(() => {
    pair = vethPair();
  });
  afterAll(() => pair?.lab.cleanup());

  // Small blocks, so the burst test crosses many of them.
  portContract('native AF_PACKET', () => vethHarness(pair, (ns) => new AfPacketPort(['p0', 'p1'], { netns: ns, blockSize: 64 << 10, blocks: 64 })));

  it('reports index, MAC and MTU of each interface', () => {
    const port = new AfPacketPort(['p0', 'p1'], { netns: pair.p, blocks: 1 });
    try {
      expect(port.info.map((i) => i.mtu)).toEqual([1500, 1500]);
      const mac = pair.lab.mac(pair.p, 'p1');
      expect(Array.from(port.info[1].mac, (x) => x.toString(16).padStart(2, '0')).join(':')).toBe(mac);
      expect(port.info[0].index).toBeGreaterThan(1);
    } finally {
      port.close();
    }
  });

  it('runs the kernel filter before the ring', async () => {
    const h = await vethHarness(pair, (ns) => new AfPacketPort(['p0', 'p1'], { netns: ns, filter: 'udp and dst port 53' }));
    try {
      h.inject(0, frameOf(60, 1));
      h.inject(0, buildUdp({ src: 0xc6120001, dst: 0xc6120002, sport: 9, dport: 54 }));
      const dns = buildUdp({ src: 0xc6120001, dst: 0xc6120002, sport: 9, dport: 53 });
      h.inject(1, dns);
      await h.settle!();
      const b = new Batch(8);
      expect(h.port.rx(b, 8)).toBe(1);
      expect(b.frame(0)).toEqual(dns);
      expect(b.ifIn[0]).toBe(1);
    } finally {
      h.port.close();
      h.dispose!();
    }
  });

  it('calls onReadable from the event loop when frames arrive, and stops on null', async () => {
    const h = await vethHarness(pair, (ns) => new AfPacketPort(['p0', 'p1'], { netns: ns }));
    const port = h.port as AfPacketPort;
    try {
      const b = new Batch(64);
      let calls = 0;
      let got = 0;
      port.onReadable(() => {
        calls++;
        b.reset();
        got += port.rx(b, 64);
      });
      for (let i = 0; i < 10; i++) h.inject(i & 1, frameOf(100, i));
      await h.settle!();
      await sleep(20);
      expect(got).toBe(10);
      expect(calls).toBeGreaterThan(0);
      port.onReadable(null);
      const before = calls;
      h.inject(0, frameOf(100, 11));
      await h.settle!();
      expect(calls).toBe(before);
      b.reset();
      expect(port.rx(b, 64)).toBe(1); // still there for a pull
    } finally {
      h.port.close();
      h.dispose!();
    }
  });

  it('counts frames the kernel refuses and sends the rest of the batch', async () => {
    // Without the vnet header an over-MTU frame is refused (EMSGSIZE); the frames after it still go.
    const h = await vethHarness(pair, (ns) => new AfPacketPort(['p0', 'p1'], { netns: ns, vnetHdr: false }));
    const port = h.port as AfPacketPort;
    try {
      const b = new Batch(4, 16384);
      b.push(frameOf(100, 1), 0);
      b.push(frameOf(9000, 2), 0);
      b.push(frameOf(100, 3), 0);
      for (let i = 0; i < 3; i++) {
        b.verdict[i] = VERDICT_TX;
        b.ifOut[i] = 1;
      }
      expect(port.tx(b)).toBe(2);
      expect(port.stats()[1]).toMatchObject({ txErrors: 1, lastTxError: 'EMSGSIZE', txUnsent: 0 });
      // What the router publishes (stats, /metrics): the sum over its sockets, still counted after the read above.
      expect(port.counters()).toMatchObject({ txErrors: 1, txUnsent: 0 });
      await h.settle!();
      expect(h.takeSent(1)).toEqual([frameOf(100, 1), frameOf(100, 3)]);
    } finally {
      h.port.close();
      h.dispose!();
    }
  });

  it('sends a batch bigger than a default socket send buffer whole, with nothing unsent', async () => {
    // A sent frame stays charged to the socket until the next hop takes it (the peer's
    // backlog on another core, a qdisc): a 40 Mbit/s token bucket holds them for a while, and 512
    // full-size frames are several times the kernel's default send buffer (208 KiB),
    // which used to end the batch with EAGAIN and count the rest as tx_unsent.
    pair.lab.exec(pair.p, 'tc', 'qdisc', 'add', 'dev', 'p0', 'root', 'tbf', 'rate', '40mbit', 'burst', '20kb', 'limit', '2mb');
    const port = new AfPacketPort(['p0'], { netns: pair.p, blocks: 0, qdiscBypass: false });
    try {
      const before = pair.lab.rxPackets(pair.w, 'w0');
      const b = new Batch(512, 512 * 1514);
      for (let i = 0; i < 512; i++) {
        b.push(frameOf(1514, i), 0);
        b.verdict[i] = VERDICT_TX;
      }
      expect(port.tx(b)).toBe(512);
      expect(port.counters()).toMatchObject({ txUnsent: 0, txErrors: 0 });
      await sleep(500); // 775 KB at 40 Mbit/s: 155 ms
      expect(pair.lab.rxPackets(pair.w, 'w0') - before).toBe(512);
    } finally {
      port.close();
      pair.lab.exec(pair.p, 'tc', 'qdisc', 'del', 'dev', 'p0', 'root');
    }
  });

  it('waits a bounded time for a full queue, then counts what it could not send', () => {
    // A qdisc that holds 30 KB at 40 Mbit/s: a send past it fails with ENOBUFS. tx() waits
    // for room (at most 2 ms a call: about 10 KB drain meanwhile), then counts the rest as
    // unsent; right after giving up it does not wait again.
    pair.lab.exec(pair.p, 'tc', 'qdisc', 'add', 'dev', 'p0', 'root', 'tbf', 'rate', '40mbit', 'burst', '3kb', 'limit', '30kb');
    const port = new AfPacketPort(['p0'], { netns: pair.p, blocks: 0, qdiscBypass: false });
    try {
      const b = new Batch(200, 200 * 1514);
      for (let i = 0; i < 200; i++) {
        b.push(frameOf(1514, i), 0);
        b.verdict[i] = VERDICT_TX;
      }
      const sent = port.tx(b);
      const first = port.counters();
      expect(sent).toBeGreaterThan(0);
      expect(sent + first.txUnsent).toBe(200);
      expect(first.txWaits).toBeGreaterThan(0);
      const again = port.tx(b);
      const second = port.counters();
      expect(again + second.txUnsent - first.txUnsent).toBe(200);
      expect(second.txWaits).toBe(first.txWaits);
    } finally {
      port.close();
      pair.lab.exec(pair.p, 'tc', 'qdisc', 'del', 'dev', 'p0', 'root');
    }
  });

  it('ignores stale offload offsets of a reused batch slot (no flag, no offsets)', async () => {
    const h = await vethHarness(pair, (ns) => new AfPacketPort(['p0', 'p1'], { netns: ns }));
    try {
      const b = new Batch(2);
      b.push(frameOf(60, 1), 0);
      // What a GSO frame left in this slot before Batch.push() reused it.
      b.hdrLen[0] = 66;
      b.csumStart[0] = 34;
      b.csumOffset[0] = 16;
      b.verdict[0] = VERDICT_TX;
      expect(h.port.tx(b)).toBe(1);
      await h.settle!();
      expect(h.takeSent(0)).toEqual([frameOf(60, 1)]);
    } finally {
      h.port.close();
      h.dispose!();
    }
  });

  it('spreads an interface over the sockets of one fanout group', async () => {
    const wire = new AfPacketPort(['w0'], { netns: pair.w, blocks: 0 });
    const fan = { group: (process.pid & 0x7fff) + 1, mode: 'lb' as const };
    const one = new AfPacketPort(['p0'], { netns: pair.p, fanout: fan, blocks: 8 });
    const two = new AfPacketPort(['p0'], { netns: pair.p, fanout: fan, blocks: 8 });
    try {
      const out = new Batch(64);
      for (let i = 0; i < 40; i++) {
        out.push(frameOf(80, i), 0);
        out.verdict[i] = VERDICT_TX;
      }
      expect(wire.tx(out)).toBe(40);
      await sleep(40);
      const got = [one, two].map((p) => p.rx(new Batch(64), 64));
      expect(got[0] + got[1]).toBe(40);
      expect(got[0]).toBe(20); // lb: round robin
    } finally {
      for (const p of [wire, one, two]) p.close();
    }
  });

  it('a PACKET_FANOUT_CBPF group runs the router\'s program: both directions of a flow, and an ICMP error about it, reach the same socket', async () => {
    const wire = new AfPacketPort(['w0'], { netns: pair.w, blocks: 0 });
    // The first makes the group (the kernel picks its id), the second joins it; a
    // socket's place in the group is the order it joined: `ports[k]` is worker k.
    const first = new AfPacketPort(['p0'], { netns: pair.p, fanout: { group: 'unique', mode: 'cbpf' }, blocks: 8 });
    const groups = first.fanoutGroups();
    const ports = [first, new AfPacketPort(['p0'], { netns: pair.p, fanout: { group: groups, mode: 'cbpf' }, blocks: 8 })];
    expect(ports[1].fanoutGroups()).toEqual(groups);
    const vip = ipv4Addr('198.18.0.10');
    const rs = ipv4Addr('198.19.0.11');
    ports[0].setFanoutProgram(encode(fanoutProgram({ nets: [{ address: vip, prefixLen: 32 }], hashMask: 0xffffffff })));
    try {
      const out = new Batch(64);
      const want: number[] = [];
      for (let i = 0; i < 16; i++) {
        const client = (ipv4Addr('198.18.1.1') + i) >>> 0;
        out.push(buildUdp({ src: client, dst: vip, sport: 1000 + i, dport: 53 }), 0);
        out.push(buildUdp({ src: rs, dst: client, sport: 53, dport: 1000 + i }), 0);
        // A router on the client's path answers the VIP's datagram: to the VIP, quoting VIP -> client.
        const quoted = ipv4Datagram(buildUdp({ src: vip, dst: client, sport: 53, dport: 1000 + i }));
        out.push(buildIcmpError({ src: ipv4Addr('198.18.0.1'), dst: vip, type: 3, code: 3, original: quoted }), 0);
        want.push(clientHash(client, 0xffffffff) % 2);
      }
      for (let i = 0; i < out.count; i++) out.verdict[i] = VERDICT_TX;
      expect(wire.tx(out)).toBe(48);
      await sleep(40);
      const got: number[][] = [[], []];
      for (const k of [0, 1]) {
        const b = new Batch(64);
        ports[k].rx(b, 64);
        for (let i = 0; i < b.count; i++) {
          const f = b.buf.subarray(b.off[i], b.off[i] + b.len[i]);
          // The client: the source of a frame to the VIP, the destination of a reply, the quoted destination of an ICMP error.
          const dst = readU32(f, 30);
          got[k].push(f[23] === 1 ? readU32(f, 14 + 20 + 8 + 16) : dst === vip ? readU32(f, 26) : dst);
        }
      }
      expect(got[0].length + got[1].length).toBe(48);
      expect(new Set(got[0]).size).toBeGreaterThan(0);
      expect(new Set(got[1]).size).toBeGreaterThan(0);
      for (const k of [0, 1]) for (const c of got[k]) expect(want[c - ipv4Addr('198.18.1.1')]).toBe(k);
    } finally {
      for (const p of [wire, ...ports]) p.close();
    }
  });

  it('close() is idempotent and later calls fail with EBADF, not a crash', () => {
    const port = new AfPacketPort(['p0'], { netns: pair.p, blocks: 2 });
    port.close();
    port.close();
    expect(() => port.rx(new Batch(4), 4)).toThrow(/EBADF/);
  });
});
