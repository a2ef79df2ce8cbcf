// ARP: the router answers for the addresses it owns (VIPs, the NAT router
// address) on the interface that holds them, as pulse's send_arp and the
// kernel would, and learns the MACs of the neighbours it wants (neighbours.ts).
import { ARP_OP_REQUEST, ARP_SHA, arpToReply } from '../packet/arp.js';
import { ethToReply } from '../packet/ethernet.js';
import type { FrameInfo } from '../packet/parse.js';
import { VERDICT_TX, type Batch } from '../frames/batch.js';
import { PASS_ARP } from './counters.js';
import type { Engine } from './engine.js';

export function handleArp(engine: Engine, batch: Batch, i: number, info: FrameInfo): number {
  const buf = batch.buf;
  const arp = info.l3;
  const itf = batch.ifIn[i];
  // Sender 0.0.0.0 is an address probe (RFC 5227): nothing to learn from it.
  if (info.arpSpa !== 0) engine.neigh.heard(info.arpSpa, buf, arp + ARP_SHA, itf, engine.now);
  if (info.arpOp !== ARP_OP_REQUEST) return engine.pass(PASS_ARP);
  if (engine.released || engine.owned.get(info.arpTpa) !== itf) return engine.pass(PASS_ARP);
  const mac = engine.l2.ifMac;
  arpToReply(buf, arp, mac, 6 * itf);
  ethToReply(buf, batch.off[i], mac, 6 * itf);
  batch.ifOut[i] = itf;
  engine.counters.arpReplies++;
  return VERDICT_TX;
}
