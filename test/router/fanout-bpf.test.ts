// The fanout program (router/fanout-bpf.ts) run through the cBPF interpreter
// (io/cbpf.ts): both directions of a NAT flow, and ICMP errors about it, get the
// same worker; clients spread over the workers. The kernel runs the same program
// in test/io/afpacket.test.ts and, end to end, in test/e2e/workers.test.ts.
import { describe, expect, it } from 'vitest';
import { assemble, encode, run } from '../../src/io/cbpf.js';
import { buildArp, buildIcmpError, buildTcp, buildUdp, fragmentFrame, ipv4Addr, ipv4Datagram } from '../../src/packet/build.js';
import { clientHash, fanoutProgram } from '../../src/router/fanout-bpf.js';

const VIP = ipv4Addr('198.18.0.10');
const NATR = ipv4Addr('198.19.0.1');
const RS = ipv4Addr('198.19.0.11');
const MARKNET = ipv4Addr('198.18.64.0');
const ALL = 0xffffffff;
const prog = fanoutProgram({ nets: [{ address: VIP, prefixLen: 32 }, { address: NATR, prefixLen: 32 }, { address: MARKNET, prefixLen: 20 }], hashMask: ALL });
const net = (frame: Uint8Array): Uint8Array => ipv4Datagram(frame);
const hashOf = (frame: Uint8Array): number => run(prog, net(frame), 0x0800);
const client = (i: number): number => (ipv4Addr('198.18.1.0') + i) >>> 0;

describe('fanout program', () => {
  it('hashes the client in both directions of a NAT flow (TCP and UDP)', () => {
    for (let i = 0; i < 64; i++) {
      const c = client(i);
      const want = clientHash(c, ALL);
      expect(hashOf(buildTcp({ src: c, dst: VIP, sport: 40000 + i, dport: 80, flags: 0x02 }))).toBe(want);
      expect(hashOf(buildTcp({ src: RS, dst: c, sport: 80, dport: 40000 + i, flags: 0x12 }))).toBe(want);
      expect(hashOf(buildUdp({ src: c, dst: VIP, sport: 5000 + i, dport: 53 }))).toBe(want);
      expect(hashOf(buildUdp({ src: RS, dst: c, sport: 53, dport: 5000 + i }))).toBe(want);
      // To a firewall-mark network the router does not own.
      expect(hashOf(buildTcp({ src: c, dst: MARKNET + 77, sport: 1, dport: 443 }))).toBe(want);
    }
  });

  it('sends an ICMP error about a flow to its owner, from either side', () => {
    const c = client(5);
    const toClient = buildTcp({ src: VIP, dst: c, sport: 80, dport: 40005, flags: 0x10 });
    // A router on the client's path answers the VIP's frame: to the VIP, quoting VIP -> client.
    const fromPath = buildIcmpError({ src: ipv4Addr('198.18.0.1'), dst: VIP, type: 3, code: 4, mtu: 1400, original: net(toClient) });
    expect(hashOf(fromPath)).toBe(clientHash(c, ALL));
    // From the servers' side the error goes to the client address itself.
    const toRs = buildTcp({ src: c, dst: RS, sport: 40005, dport: 80 });
    expect(hashOf(buildIcmpError({ src: ipv4Addr('198.19.0.254'), dst: c, type: 11, code: 0, original: net(toRs) }))).toBe(clientHash(c, ALL));
    // A ping to the VIP is the client's own.
    expect(hashOf(buildIcmpError({ src: c, dst: VIP, type: 8, code: 0, original: new Uint8Array(20) }))).toBe(clientHash(c, ALL));
  });

  it('keeps every fragment of a datagram with its first one', () => {
    const c = client(9);
    const frags = fragmentFrame(buildUdp({ src: c, dst: VIP, sport: 7, dport: 53, payload: new Uint8Array(3000) }), 1400);
    expect(frags.length).toBeGreaterThan(1);
    for (const f of frags) expect(hashOf(f)).toBe(clientHash(c, ALL));
  });

  it('sends what is not IPv4 (ARP) to worker 0', () => {
    const arp = buildArp({ op: 1, senderMac: '02:00:00:00:00:09', senderIp: RS, targetIp: NATR });
    expect(run(prog, arp.subarray(14), 0x0806)).toBe(0);
  });

  it('masks the client by the widest persistence netmask: a persistent /24 stays on one worker', () => {
    const p24 = fanoutProgram({ nets: [{ address: VIP, prefixLen: 32 }], hashMask: 0xffffff00 });
    const of = (f: Uint8Array): number => run(p24, net(f), 0x0800) % 2;
    const first = of(buildTcp({ src: client(1), dst: VIP, sport: 1, dport: 80 }));
    for (let i = 2; i < 200; i++) expect(of(buildTcp({ src: client(i), dst: VIP, sport: 1, dport: 80 }))).toBe(first);
  });

  it('spreads consecutive client addresses evenly over 2 and 4 workers', () => {
    for (const n of [2, 4]) {
      const per = new Array<number>(n).fill(0);
      for (let i = 0; i < 1024; i++) per[clientHash(client(i), ALL) % n]++;
      for (const k of per) expect(Math.abs(k - 1024 / n)).toBeLessThan(1024 / n / 5);
    }
  });

  it('takes thousands of owned addresses (long jumps) and refuses a table beyond the kernel\'s 4096 instructions', () => {
    const many = Array.from({ length: 1500 }, (_, i) => ({ address: (VIP + i) >>> 0, prefixLen: 32 }));
    const big = fanoutProgram({ nets: many, hashMask: ALL });
    expect(run(big, net(buildUdp({ src: client(3), dst: (VIP + 1499) >>> 0, sport: 1, dport: 2 })), 0x0800)).toBe(clientHash(client(3), ALL));
    expect(encode(big).length).toBe(big.length * 8);
    const tooMany = Array.from({ length: 2100 }, (_, i) => ({ address: (VIP + i) >>> 0, prefixLen: 32 }));
    expect(() => fanoutProgram({ nets: tooMany, hashMask: ALL })).toThrow(/do not fit one fanout program.*--workers 1/);
  });

  it('assemble() rejects an unknown label and a backward jump', () => {
    expect(() => assemble([{ code: 0, ja: 'nowhere' }])).toThrow(/no label/);
    expect(() => assemble([{ label: 'x' }, { code: 0, ja: 'x' }])).toThrow(/out of range/);
  });
});
