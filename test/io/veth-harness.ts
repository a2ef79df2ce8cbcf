// A PortHarness over real wires: the port under test holds p0 and p1 in namespace P,
// whose veth peers w0 and w1 sit in namespace W. Frames are injected, and what the
// port sends is read back, through an AF_PACKET port on the W side.
import { Batch, VERDICT_TX } from '../../src/frames/batch.js';
import { AfPacketPort } from '../../src/io/afpacket.js';
import type { PacketPort } from '../../src/frames/port.js';
import { NetnsLab } from '../../bench/io/netns.js';
import type { PortHarness } from './port-contract.js';

export interface VethPair {
  lab: NetnsLab;
  p: string;
  w: string;
}

/** Namespaces P and W joined by p0-w0 and p1-w1 (offloads at veth defaults). */
export function vethPair(): VethPair {
  const lab = new NetnsLab();
  try {
    const p = lab.ns('p');
    const w = lab.ns('w');
    lab.veth(p, 'p0', w, 'w0');
    lab.veth(p, 'p1', w, 'w1');
    return { lab, p, w };
  } catch (e) {
    lab.cleanup();
    throw e;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A harness for a port opened on ['p0', 'p1'] in namespace `pair.p` by `open`.
 * `warmUp` first sends one throw-away frame per interface and drains it: libpcap
 * 1.10 runs the filter of the first ring block in userland, where `inbound` cannot
 * be evaluated, so that block's frames are lost (see pcap-port.ts).
 */
export async function vethHarness(pair: VethPair, open: (netns: string) => PacketPort, warmUp = false): Promise<PortHarness> {
  const wire = new AfPacketPort(['w0', 'w1'], { netns: pair.w, vnetHdr: false, blocks: 64 });
  let port: PacketPort;
  try {
    port = open(pair.p);
  } catch (e) {
    wire.close();
    throw e;
  }
  const out = new Batch(2048, 4 << 20);
  const sent = new Map<number, Uint8Array[]>([[0, []], [1, []]]);
  const flush = () => {
    wire.tx(out);
    out.reset();
  };
  const collect = () => {
    const b = new Batch(256);
    for (let round = 0; round < 1000; round++) {
      b.reset();
      const n = wire.rx(b, b.capacity);
      for (let i = 0; i < n; i++) sent.get(b.ifIn[i])!.push(b.frame(i).slice());
      if (n === 0) break;
    }
  };
  const h: PortHarness = {
    port,
    ifaces: [0, 1],
    inject(ifIndex, frame) {
      if (out.count === out.capacity || out.used + frame.length > out.buf.length) flush();
      const i = out.count;
      out.push(frame, 0);
      out.verdict[i] = VERDICT_TX;
      out.ifOut[i] = ifIndex;
    },
    async settle() {
      flush();
      await sleep(40); // a TPACKET_V3 block closes after 1 ms; the rest is scheduling slack
    },
    takeSent(ifIndex) {
      collect();
      const list = sent.get(ifIndex)!;
      sent.set(ifIndex, []);
      return list;
    },
    dispose: () => wire.close(),
  };
  if (warmUp) {
    h.inject(0, new Uint8Array(60));
    h.inject(1, new Uint8Array(60));
    await h.settle!();
    const b = new Batch(16);
    for (let i = 0; i < 10 && port.rx(b, 16) > 0; i++) b.reset();
  }
  return h;
}
