// When the packet path queues a connection for sync, packet by packet, against
// the kernel's ip_vs_sync_conn_needed with sync_threshold "3 50": TCP only from
// ESTABLISHED on, at the 3rd client packet and every 50 after, a closing state
// at once; UDP by the count alone; a persistence template with its conn.
import { describe, expect, it } from 'vitest';
import { CONN_F_TEMPLATE } from '../../src/conn/table.js';
import { TCP_S_CLOSE_WAIT, TCP_S_ESTABLISHED } from '../../src/conn/tcp-states.js';
import { SyncQueue } from '../../src/engine/sync-queue.js';
import type { Engine } from '../../src/engine/engine.js';
import { buildTcp, buildUdp } from '../../src/packet/build.js';
import { CLIENT, CLIENT_MAC, ETH0_MAC, engine, run, service, table, VIP } from './helpers.js';

const SYN = 0x02, ACK = 0x10, FIN = 0x01;
const tcp = (flags: number, sport = 40000) => buildTcp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: VIP, sport, dport: 80, flags });
const udp = (sport = 5000) => buildUdp({ srcMac: CLIENT_MAC, dstMac: ETH0_MAC, src: CLIENT, dst: VIP, sport, dport: 53 });

function world(o: Parameters<typeof service>[1] = {}, ringSize?: number): { e: Engine; q: SyncQueue } {
  const e = engine(table([service([{ addr: '198.19.0.11' }, { addr: '198.19.0.12' }], o)]));
  const q = new SyncQueue(e.conns, { ringSize });
  q.master = true;
  e.sync = q;
  return { e, q };
}

/** Sends `n` client packets; returns after which ones (1-based) a slot was queued, and which. */
function queuedAt(e: Engine, q: SyncQueue, frames: Uint8Array[]): Array<[number, number[]]> {
  const out: Array<[number, number[]]> = [];
  frames.forEach((f, k) => {
    run(e, f, 0);
    const got: number[] = [];
    for (let s = q.take(); s !== 0; s = q.take()) got.push(s);
    if (got.length) out.push([k + 1, got]);
  });
  return out;
}

describe('SyncQueue: what the master syncs', () => {
  it('TCP: nothing before ESTABLISHED, then the 3rd, 53rd and 103rd client packet', () => {
    const { e, q } = world();
    const frames = [tcp(SYN), ...Array.from({ length: 110 }, () => tcp(ACK))];
    const at = queuedAt(e, q, frames);
    const slot = e.conns.lookupIn(6, CLIENT, 40000, VIP, 80);
    expect(at).toEqual([[3, [slot]], [53, [slot]], [103, [slot]]]);
    expect(e.conns.stateOf(slot)).toBe(TCP_S_ESTABLISHED);
  });

  it('TCP: a change to a closing state is synced at once, once', () => {
    const { e, q } = world();
    const at = queuedAt(e, q, [tcp(SYN), tcp(ACK), tcp(ACK), tcp(FIN | ACK), tcp(ACK), tcp(ACK)]);
    const slot = e.conns.lookupIn(6, CLIENT, 40000, VIP, 80);
    expect(at.map(([k]) => k)).toEqual([3, 4]);
    expect(e.conns.stateOf(slot)).toBe(TCP_S_CLOSE_WAIT);
  });

  it('UDP: by the packet count alone', () => {
    const { e, q } = world({ protocol: 'udp', port: 53 });
    const at = queuedAt(e, q, Array.from({ length: 60 }, () => udp()));
    expect(at.map(([k]) => k)).toEqual([3, 53]);
  });

  it('a persistence template goes with the conn it keeps on its server', () => {
    const { e, q } = world({ persistence: 300 });
    const at = queuedAt(e, q, [tcp(SYN), tcp(ACK), tcp(ACK)]);
    const slot = e.conns.lookupIn(6, CLIENT, 40000, VIP, 80);
    const t = e.conns.control[slot];
    expect((e.conns.flagsOf(t) & CONN_F_TEMPLATE) !== 0).toBe(true);
    expect(at).toEqual([[3, [slot, t]]]);
  });

  it('a one-packet UDP conn is never synced, its template every time', () => {
    const { e, q } = world({ protocol: 'udp', port: 53, onePacket: true, persistence: 60 });
    const at = queuedAt(e, q, [udp(5000), udp(5001)]);
    expect(at.length).toBe(2);
    for (const [, slots] of at) {
      expect(slots.length).toBe(1);
      expect(e.conns.flagsOf(slots[0]) & CONN_F_TEMPLATE).toBe(CONN_F_TEMPLATE);
    }
  });

  it('a backup-only router counts packets but queues nothing', () => {
    const { e, q } = world();
    q.master = false;
    expect(queuedAt(e, q, [tcp(SYN), tcp(ACK), tcp(ACK), tcp(FIN | ACK)])).toEqual([]);
    expect(q.inPkts[e.conns.lookupIn(6, CLIENT, 40000, VIP, 80)]).toBe(4);
  });

  it('a full ring drops and counts, keeping what it holds', () => {
    const { e, q } = world({}, 16);
    for (let c = 0; c < 20; c++) {
      run(e, tcp(SYN, 41000 + c), 0);
      run(e, tcp(ACK, 41000 + c), 0);
      run(e, tcp(ACK, 41000 + c), 0);
    }
    expect(q.length).toBe(16);
    expect(q.drops).toBe(4);
    expect(q.take()).toBe(e.conns.lookupIn(6, CLIENT, 41000, VIP, 80));
  });

  it('a new conn in a reused slot starts counting from zero', () => {
    const { e, q } = world();
    run(e, tcp(SYN), 0);
    const slot = e.conns.lookupIn(6, CLIENT, 40000, VIP, 80);
    q.inPkts[slot] = 49;
    e.conns.expireNow(slot);
    run(e, tcp(SYN, 40001), 0);
    expect(e.conns.lookupIn(6, CLIENT, 40001, VIP, 80)).toBe(slot);
    expect(q.inPkts[slot]).toBe(1);
  });
});


