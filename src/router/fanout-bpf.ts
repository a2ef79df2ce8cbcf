// The program that spreads the data plane's frames over N workers (PACKET_FANOUT_CBPF,
// one group per device; the kernel takes its result modulo the group's size).
// Both directions of a NAT connection must reach the worker that holds it, with no
// state shared between workers, so the program hashes the CLIENT's address in both:
//   - a frame to the client side (an owned address: a VIP, the NAT router address,
//     or a network a firewall-mark rule names) is a client's: hash its source;
//   - any other IPv4 frame is a real server's reply (or not the router's business):
//     its destination is the client: hash that;
//   - an ICMP error to the client side quotes a frame the router sent to the client:
//     hash the quoted destination, so the error reaches the connection's owner.
// The split is the engine's own (engine.ts ipv4(): owned.has(daddr) decides in or
// out). The address only, not the port: a persistence template, an FTP data
// connection, the SYN proxy's handshake and a datagram's fragments all stay with
// the client's other flows. The address is first masked by the widest persistence
// netmask of the table, so a persistent /24 keeps to one worker too.
// Frames that are not IPv4 (ARP) go to worker 0, which answers them and relays the
// neighbours' replies to the others (dataplane-host.ts).
import {
  assemble, BPF_ABS, BPF_ALU, BPF_AND, BPF_B, BPF_H, BPF_IND, BPF_JMP, BPF_JEQ, BPF_JSET, BPF_LD, BPF_LSH, BPF_MISC,
  BPF_MUL, BPF_RET, BPF_RSH, BPF_TAX, BPF_W, BPF_K, BPF_A, SKF_AD_OFF, SKF_AD_PROTOCOL, SKF_NET_OFF, type Insn, type Op,
} from '../io/cbpf.js';
import type { Engine } from '../engine/engine.js';
import { prefixToMask } from '../model/index.js';

const NET = SKF_NET_OFF;
const ETH_P_IP = 0x0800;
/** Fibonacci hashing: the high bits of the product mix every bit of the address. */
const GOLDEN = 0x9e3779b1;
/** ICMP types that quote a datagram (packet/icmp.ts isIcmpError). */
const ICMP_ERRORS = [3, 4, 5, 11, 12];

export interface ClientSide {
  /** Destination networks of client frames: owned addresses (/32) and firewall-mark rules' networks. */
  nets: ReadonlyArray<{ address: number; prefixLen: number }>;
  /** Applied to the client address before hashing: the widest persistence netmask (all ones when none). */
  hashMask: number;
}

/** The client side of the engine's running table: owned addresses, firewall-mark networks, the widest persistence netmask. */
export function clientSide(engine: Engine): ClientSide {
  const nets = [
    ...engine.addresses.map((a) => ({ address: a.address, prefixLen: 32 })),
    ...engine.marks.rules.map((r) => ({ address: r.address, prefixLen: r.prefixLen })),
  ];
  let hashMask = 0xffffffff;
  for (const e of engine.services.services) if (e?.live && e.persistMs > 0) hashMask &= e.persistMask;
  return { nets, hashMask: hashMask >>> 0 };
}

/** The hash the program computes for a client address (index = result % workers). */
export function clientHash(client: number, hashMask: number): number {
  return Math.imul((client & hashMask) >>> 0, GOLDEN) >>> 16;
}

export function fanoutProgram(side: ClientSide): Insn[] {
  const ops: Op[] = [
    { code: BPF_LD | BPF_H | BPF_ABS, k: SKF_AD_OFF + SKF_AD_PROTOCOL },
    { code: BPF_JMP | BPF_JEQ | BPF_K, k: ETH_P_IP, jt: 'ipv4' },
    { code: BPF_RET | BPF_K, k: 0 },
    { label: 'ipv4' },
    { code: BPF_LD | BPF_W | BPF_ABS, k: NET + 16 },
  ];
  const seen = new Set<string>();
  const nets = side.nets
    .map((n) => ({ mask: prefixToMask(n.prefixLen) >>> 0, net: (n.address & prefixToMask(n.prefixLen)) >>> 0 }))
    .filter((n) => !seen.has(`${n.net}/${n.mask}`) && seen.add(`${n.net}/${n.mask}`))
    // Single addresses first: they compare the destination as loaded, the masked ones reload it.
    .sort((a, b) => b.mask - a.mask);
  for (const n of nets) {
    if (n.mask !== 0xffffffff) ops.push({ code: BPF_LD | BPF_W | BPF_ABS, k: NET + 16 }, { code: BPF_ALU | BPF_AND | BPF_K, k: n.mask });
    // jeq's targets reach 255 ahead at most: a long jump to `client` goes through ja.
    ops.push({ code: BPF_JMP | BPF_JEQ | BPF_K, k: n.net, jf: `n${ops.length}` }, { code: 0, ja: 'client' }, { label: `n${ops.length}` });
  }
  ops.push(
    // Not to the client side: a reply, whose destination is the client.
    { code: BPF_LD | BPF_W | BPF_ABS, k: NET + 16 },
    { code: 0, ja: 'hash' },
    { label: 'client' },
    { code: BPF_LD | BPF_B | BPF_ABS, k: NET + 9 },
    { code: BPF_JMP | BPF_JEQ | BPF_K, k: 1, jf: 'source' },
    // ICMP, and not a later fragment: an error quotes the router's frame to the client.
    { code: BPF_LD | BPF_H | BPF_ABS, k: NET + 6 },
    { code: BPF_JMP | BPF_JSET | BPF_K, k: 0x1fff, jt: 'source' },
    { code: BPF_LD | BPF_B | BPF_ABS, k: NET + 0 },
    { code: BPF_ALU | BPF_AND | BPF_K, k: 0x0f },
    { code: BPF_ALU | BPF_LSH | BPF_K, k: 2 },
    { code: BPF_MISC | BPF_TAX },
    { code: BPF_LD | BPF_B | BPF_IND, k: NET + 0 },
    ...ICMP_ERRORS.map((t): Op => ({ code: BPF_JMP | BPF_JEQ | BPF_K, k: t, jt: 'quoted' })),
    { code: 0, ja: 'source' },
    { label: 'quoted' },
    // ICMP header (8) + the quoted IPv4 header's destination (16).
    { code: BPF_LD | BPF_W | BPF_IND, k: NET + 8 + 16 },
    { code: 0, ja: 'hash' },
    { label: 'source' },
    { code: BPF_LD | BPF_W | BPF_ABS, k: NET + 12 },
    { label: 'hash' },
    { code: BPF_ALU | BPF_AND | BPF_K, k: side.hashMask >>> 0 },
    { code: BPF_ALU | BPF_MUL | BPF_K, k: GOLDEN },
    { code: BPF_ALU | BPF_RSH | BPF_K, k: 16 },
    { code: BPF_RET | BPF_A },
  );
  try {
    return assemble(ops);
  } catch (e) {
    throw new Error(`--workers: the table's client-side addresses do not fit one fanout program (${(e as Error).message}); run with --workers 1`);
  }
}
