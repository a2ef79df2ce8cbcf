// MarkClassifier: iptables MARK semantics (the last matching rule wins), prefixes,
// port ranges, protocol `all`, addresses above 2^31, and agreement with a plain
// reference model on random rules and packets.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileLvsCf, parseLvsCf } from '../../src/config/index.js';
import { VERDICT_TX } from '../../src/frames/batch.js';
import { MarkClassifier } from '../../src/engine/marks.js';
import { buildTable, parseIPv4, prefixToMask, PROTO_ICMP, PROTO_TCP, PROTO_UDP, type MarkRule } from '../../src/model/index.js';
import { buildTcp } from '../../src/packet/build.js';
import { CLIENT, CLIENT_MAC, engine, ETH0_MAC, ETH1_MAC, NAT_ROUTER, rsMac, run, service, VIP } from './helpers.js';

const ip = (s: string) => parseIPv4(s)!;
const TCP = PROTO_TCP, UDP = PROTO_UDP;
/** `tcp 198.18.0.0/24 10000:20000 21`, as fwmark_rule words (any = every port). */
const r = (spec: string): MarkRule => {
  const [protocol, dest, ports, mark] = spec.split(' ');
  const [addr, len] = dest.split('/');
  const [lo, hi] = ports === 'any' ? [0, 65535] : ports.split(':').map(Number);
  return { protocol: protocol as MarkRule['protocol'], address: ip(addr), prefixLen: len === undefined ? 32 : Number(len), portLo: lo, portHi: hi ?? lo, mark: Number(mark), origin: 'test' };
};
const classifier = (...specs: string[]) => new MarkClassifier(specs.map(r));

describe('MarkClassifier', () => {
  it('no rule, or no matching rule, gives 0', () => {
    expect(new MarkClassifier([]).classify(TCP, ip('198.18.0.10'), 80)).toBe(0);
    const c = classifier('tcp 198.18.0.10 80 80');
    expect(c.classify(TCP, ip('198.18.0.11'), 80)).toBe(0);
    expect(c.classify(TCP, ip('198.18.0.10'), 81)).toBe(0);
    expect(c.classify(UDP, ip('198.18.0.10'), 80)).toBe(0);
  });

  it('the last matching rule wins (MARK does not end the chain)', () => {
    const broadThenNarrow = classifier('tcp 198.18.0.0/24 any 1', 'tcp 198.18.0.10 80 2');
    expect(broadThenNarrow.classify(TCP, ip('198.18.0.10'), 80)).toBe(2);
    expect(broadThenNarrow.classify(TCP, ip('198.18.0.10'), 81)).toBe(1);
    expect(broadThenNarrow.classify(TCP, ip('198.18.0.99'), 80)).toBe(1);
    const narrowThenBroad = classifier('tcp 198.18.0.10 80 2', 'tcp 198.18.0.0/24 any 1');
    expect(narrowThenBroad.classify(TCP, ip('198.18.0.10'), 80)).toBe(1);
    // An `all` rule takes part in the TCP and the UDP order alike.
    const mixed = classifier('tcp 198.18.0.10 any 6', 'all 198.18.0.10 any 9', 'udp 198.18.0.10 any 17');
    expect(mixed.classify(TCP, ip('198.18.0.10'), 80)).toBe(9);
    expect(mixed.classify(UDP, ip('198.18.0.10'), 53)).toBe(17);
  });

  it('prefixes: /32, /24, /15 and /0, at their edges', () => {
    const c = classifier('tcp 0.0.0.0/0 any 1', 'tcp 198.18.0.0/15 any 15', 'tcp 198.18.7.0/24 any 24', 'tcp 198.18.7.7/32 any 32');
    expect(c.classify(TCP, ip('10.0.0.1'), 1)).toBe(1);
    expect(c.classify(TCP, ip('198.17.255.255'), 1)).toBe(1);
    expect(c.classify(TCP, ip('198.18.0.0'), 1)).toBe(15);
    expect(c.classify(TCP, ip('198.19.255.255'), 1)).toBe(15);
    expect(c.classify(TCP, ip('198.20.0.0'), 1)).toBe(1);
    expect(c.classify(TCP, ip('198.18.7.0'), 1)).toBe(24);
    expect(c.classify(TCP, ip('198.18.7.255'), 1)).toBe(24);
    expect(c.classify(TCP, ip('198.18.7.7'), 1)).toBe(32);
    expect(c.classify(TCP, ip('198.18.8.0'), 1)).toBe(15);
  });

  it('port ranges are inclusive (FTP: 21 and the passive ports 10000:20000)', () => {
    const c = classifier('tcp 198.18.0.21 21 21', 'tcp 198.18.0.21 10000:20000 21');
    const at = (port: number) => c.classify(TCP, ip('198.18.0.21'), port);
    expect([at(20), at(21), at(22), at(9999), at(10000), at(15000), at(20000), at(20001)]).toEqual([0, 21, 0, 0, 21, 21, 21, 0]);
    const edges = classifier('udp 198.18.0.53 0:1 1', 'udp 198.18.0.53 65535 2');
    expect([0, 1, 2, 65534, 65535].map((p) => edges.classify(UDP, ip('198.18.0.53'), p))).toEqual([1, 1, 0, 0, 2]);
  });

  it('protocol all: TCP and UDP; with a port range only those, without one every protocol', () => {
    const c = classifier('all 198.18.0.10 any 5', 'all 198.18.0.11 53 6');
    expect(c.classify(TCP, ip('198.18.0.10'), 80)).toBe(5);
    expect(c.classify(UDP, ip('198.18.0.10'), 53)).toBe(5);
    expect(c.classify(PROTO_ICMP, ip('198.18.0.10'), 0)).toBe(5);
    expect(c.classify(TCP, ip('198.18.0.11'), 53)).toBe(6);
    expect(c.classify(UDP, ip('198.18.0.11'), 53)).toBe(6);
    expect(c.classify(PROTO_ICMP, ip('198.18.0.11'), 53)).toBe(0);
    expect(c.classify(132 /* SCTP */, ip('198.18.0.11'), 53)).toBe(0);
  });

  it('addresses at and above 128.0.0.0, passed as uint32 or int32', () => {
    const c = classifier('udp 255.255.255.255 any 1', 'tcp 224.0.0.0/4 any 2', 'tcp 128.0.0.0/1 80 3', 'tcp 128.0.0.0 443 4294967295');
    for (const daddr of [ip('255.255.255.255'), ip('255.255.255.255') | 0]) expect(c.classify(UDP, daddr, 9)).toBe(1);
    expect(c.classify(TCP, ip('239.255.255.255') | 0, 9)).toBe(2);
    expect(c.classify(TCP, ip('240.0.0.0'), 80)).toBe(3);
    expect(c.classify(TCP, ip('127.255.255.255'), 80)).toBe(0);
    expect(c.classify(TCP, ip('128.0.0.0') | 0, 443)).toBe(0xffffffff);
  });

  it('classifies by the rules compiled from fwmark.cf', () => {
    const file = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/config/fwmark.cf');
    const { table } = compileLvsCf(parseLvsCf(readFileSync(file, 'utf8'), file));
    const c = new MarkClassifier(table.marks);
    expect(c.classify(TCP, ip('198.18.0.10'), 80)).toBe(80);
    expect(c.classify(TCP, ip('198.18.0.10'), 443)).toBe(80);
    expect(c.classify(TCP, ip('198.18.0.10'), 8080)).toBe(0);
    expect(c.classify(TCP, ip('198.18.0.21'), 21)).toBe(21);
    expect(c.classify(TCP, ip('198.18.0.21'), 12345)).toBe(21);
    expect(c.classify(UDP, ip('198.18.0.21'), 21)).toBe(0);
  });

  it('agrees with a plain reference model on random rules and packets', () => {
    // Reference: walk every rule in order, each match overwrites the mark.
    const reference = (rules: MarkRule[], proto: number, daddr: number, dport: number): number => {
      let mark = 0;
      for (const x of rules) {
        const protoOk = x.protocol === 'all' ? proto === TCP || proto === UDP || (x.portLo === 0 && x.portHi === 65535) : proto === (x.protocol === 'tcp' ? TCP : UDP);
        const mask = prefixToMask(x.prefixLen);
        if (protoOk && ((daddr >>> 0) & mask) >>> 0 === (x.address & mask) >>> 0 && dport >= x.portLo && dport <= x.portHi) mark = x.mark;
      }
      return mark;
    };
    let seed = 0x2545f491;
    const rand = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    // Few addresses and ports, so that rules overlap often.
    const addrs = ['198.18.0.10', '198.18.0.21', '198.18.1.1', '203.0.113.9', '255.255.255.254', '10.0.0.1'].map(ip);
    const ports = [0, 21, 80, 443, 10000, 15000, 20000, 65535];
    const protos = ['tcp', 'udp', 'all'] as const;
    for (let round = 0; round < 200; round++) {
      const rules: MarkRule[] = [];
      for (let k = rand(8); k >= 0; k--) {
        const prefixLen = [0, 8, 15, 16, 24, 31, 32][rand(7)];
        const lo = ports[rand(ports.length)];
        const hi = rand(3) === 0 ? 65535 : Math.max(lo, ports[rand(ports.length)]);
        const address = (addrs[rand(addrs.length)] & prefixToMask(prefixLen)) >>> 0;
        rules.push({ protocol: protos[rand(3)], address, prefixLen, portLo: rand(4) === 0 ? 0 : lo, portHi: hi, mark: 1 + rand(5), origin: '' });
      }
      const c = new MarkClassifier(rules);
      for (let p = 0; p < 40; p++) {
        const proto = [TCP, UDP, PROTO_ICMP][rand(3)];
        const daddr = addrs[rand(addrs.length)] ^ (rand(2) ? 0 : rand(256));
        const dport = proto === PROTO_ICMP ? 0 : ports[rand(ports.length)] + rand(2);
        expect(c.classify(proto, daddr | 0, dport)).toBe(reference(rules, proto, daddr, dport));
      }
    }
  });
});

describe('the engine with a persistent fwmark 80 service (http + https)', () => {
  const SYN = 0x02;
  const t = buildTable({
    services: [service([{ addr: '198.19.0.11', port: 0 }, { addr: '198.19.0.12', port: 0 }, { addr: '198.19.0.13', port: 0 }], { address: 0, port: 0, fwmark: 80, persistence: 300 })],
    addresses: [{ address: VIP, prefixLen: 24, device: 'eth0', role: 'vip' }, { address: NAT_ROUTER, prefixLen: 24, device: 'eth1', role: 'nat_router' }],
    marks: [r('tcp 198.18.0.10 80 80'), r('tcp 198.18.0.10 443 80')],
  });
  const syn = (sport: number, dport: number, src = CLIENT) => buildTcp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src, dst: VIP, sport, dport, flags: SYN });
  const dest = (f: Uint8Array) => [f[33], (f[36] << 8) | f[37]]; // last byte of the IPv4 destination, TCP destination port

  it("sends one client's port 80 and port 443 connections to one server, keeping the ports", () => {
    const e = engine(t);
    const a = run(e, syn(1000, 80), 0);
    const b = run(e, syn(1001, 443), 0);
    expect([a.verdict, b.verdict]).toEqual([VERDICT_TX, VERDICT_TX]);
    const [rsA, portA] = dest(a.frame);
    const [rsB, portB] = dest(b.frame);
    expect(rsB).toBe(rsA);
    expect([portA, portB]).toEqual([80, 443]);
  });

  it('serves a marked VIP the router does not own: the SYN, the client packets after it and the replies', () => {
    // IPVS sees such packets when a route delivers them locally; tsvs sees them on the wire.
    const other = buildTable({ ...t, addresses: [...t.addresses], services: t.services.map((s) => ({ ...s, persistence: 0 })), marks: [r('tcp 198.18.1.0/24 80 80')] });
    const e = engine(other);
    const vip = ip('198.18.1.5');
    const out = run(e, buildTcp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: vip, sport: 4000, dport: 80, flags: SYN }), 0);
    expect(out.verdict).toBe(VERDICT_TX);
    const [rs] = dest(out.frame);
    const ack = run(e, buildTcp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: vip, sport: 4000, dport: 80, flags: 0x10 }), 0);
    expect([ack.verdict, dest(ack.frame)[0]]).toEqual([VERDICT_TX, rs]);
    const rip = ip(`198.19.0.${rs}`);
    const reply = run(e, buildTcp({ srcMac: rsMac(rip), dstMac: ETH1_MAC, src: rip, dst: CLIENT, sport: 80, dport: 4000, flags: 0x12 }), 1);
    expect(reply.verdict).toBe(VERDICT_TX);
    expect(Array.from(reply.frame.subarray(26, 30))).toEqual([198, 18, 1, 5]); // source back to the VIP
    expect(e.counters.connsCreated).toBe(1);
  });

  it('leaves a port no rule marks to the address services (none here: not ours)', () => {
    const e = engine(t);
    expect(run(e, syn(1002, 8080), 0).verdict).not.toBe(VERDICT_TX);
    expect(e.counters.connsCreated).toBe(0);
  });
});
