// The neighbour table's one owner: what it learns (wanted addresses, from the
// right interface only), what it evicts, how it asks (backoff, a shared rate
// limit) and what it logs.
import { describe, expect, it } from 'vitest';
import { interfaceFor, Neighbours, NEIGH_FAILED, NEIGH_LEARNED, REQUESTS_PER_S, RESERVED_FOR_WAITING, type NeighEvent } from '../../src/engine/neighbours.js';
import { formatIPv4, parseIPv4, type OwnedAddress } from '../../src/model/index.js';

const ip = (s: string): number => parseIPv4(s)!;
const MACS = Uint8Array.of(2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2);
const IFS = { names: ['eth0', 'eth1'], macs: MACS };
const ADDRS: OwnedAddress[] = [
  { address: ip('198.18.0.10'), prefixLen: 24, device: 'eth0', role: 'vip' },
  { address: ip('198.19.0.1'), prefixLen: 24, device: 'eth1', role: 'nat_router' },
];
const mac = (n: number): Uint8Array => Uint8Array.of(2, 0x52, 0, 0, 0, n);
const wanted = (...a: string[]): Map<number, number> => new Map(a.map((x) => [ip(x), interfaceFor(ADDRS, IFS.names, ip(x))]));
/** Target IP of each ARP request frame, with the interface it goes out on. */
const asked = (out: Array<{ frame: Uint8Array; itf: number }>): string[] =>
  out.map((o) => `${o.itf}:${formatIPv4(((o.frame[38] << 24) | (o.frame[39] << 16) | (o.frame[40] << 8) | o.frame[41]) >>> 0)}`);

describe('neighbours', () => {
  it('asks for every wanted address at once, from the NAT router address on its interface', () => {
    const n = new Neighbours(IFS);
    n.want(wanted('198.19.0.11', '198.19.0.12'), ADDRS, 0);
    const out = n.due(0);
    expect(asked(out)).toEqual(['1:198.19.0.11', '1:198.19.0.12']);
    // Sender IP (bytes 28..31) is the NAT router's: the real servers answer it directly.
    expect(formatIPv4(((out[0].frame[28] << 24) | (out[0].frame[29] << 16) | (out[0].frame[30] << 8) | out[0].frame[31]) >>> 0)).toBe('198.19.0.1');
  });

  it('learns a wanted address only from ARP heard on the interface whose network holds it', () => {
    const n = new Neighbours(IFS);
    n.want(wanted('198.19.0.11'), ADDRS, 0);
    // A host on the client side (eth0) claims the real server's address: ignored.
    expect(n.heard(ip('198.19.0.11'), mac(66), 0, 0, 10)).toBe(0);
    expect(n.usable(n.resolve(ip('198.19.0.11')))).toBe(false);
    const e = n.heard(ip('198.19.0.11'), mac(11), 0, 1, 20);
    expect(e).toBeGreaterThan(0);
    expect(n.usable(e)).toBe(true);
    expect([...n.neighMac.subarray(6 * e, 6 * e + 6)]).toEqual([...mac(11)]);
  });

  it('does not learn addresses nobody wants, however many ARP senders a segment has', () => {
    const n = new Neighbours(IFS, 64);
    n.want(wanted('198.19.0.11'), ADDRS, 0);
    for (let k = 1; k <= 10_000; k++) n.heard(ip('198.19.1.0') + k, mac(k & 255), 0, 1, 0);
    expect(n.size).toBe(1);
    // The real server still resolves after the flood.
    expect(n.heard(ip('198.19.0.11'), mac(11), 0, 1, 1)).toBeGreaterThan(0);
  });

  it('evicts an address no longer wanted, and reuses its entry', () => {
    const n = new Neighbours(IFS);
    n.want(wanted('198.19.0.11', '198.19.0.12'), ADDRS, 0);
    const old = n.resolve(ip('198.19.0.12'));
    n.want(wanted('198.19.0.11'), ADDRS, 0);
    expect(n.resolve(ip('198.19.0.12'))).toBe(0);
    expect(n.size).toBe(1);
    n.want(wanted('198.19.0.11', '198.19.0.13'), ADDRS, 0);
    expect(n.resolve(ip('198.19.0.13'))).toBe(old);
  });

  it('backs off an address that does not answer (1, 2, 4, 8 s ...) and logs it once', () => {
    const n = new Neighbours(IFS);
    n.want(wanted('198.19.0.11'), ADDRS, 0);
    const times: number[] = [];
    const events: NeighEvent[] = [];
    for (let t = 0; t <= 40_000; t += 500) if (n.due(t, events).length) times.push(t);
    expect(times).toEqual([0, 1000, 3000, 7000, 15_000, 31_000]);
    expect(events).toEqual([{ address: '198.19.0.11', device: 'eth1', what: 'not answering' }]);
    n.heard(ip('198.19.0.11'), mac(11), 0, 1, 40_000);
    const later: NeighEvent[] = [];
    expect(n.due(40_500, later)).toEqual([]);
    expect(later).toEqual([{ address: '198.19.0.11', device: 'eth1', what: 'resolved' }]);
  });

  it('asks once a second, backoff or not, while frames wait for an address', () => {
    const n = new Neighbours(IFS);
    n.want(wanted('198.19.0.11'), ADDRS, 0);
    for (let t = 0; t < 20_000; t += 1000) n.due(t); // backed off to 16 s by now
    n.noteMissing(ip('198.19.0.11'));
    expect(n.pending(20_000)).toBe(true);
    expect(asked(n.due(20_000))).toEqual(['1:198.19.0.11']);
    expect(n.due(20_500)).toEqual([]);
    expect(asked(n.due(21_000))).toEqual(['1:198.19.0.11']);
    expect(n.describeMissing()).toEqual(['198.19.0.11 (1 frame)']);
  });

  it('shares one rate limit among all addresses: ten thousand silent servers get a trickle', () => {
    const n = new Neighbours(IFS);
    const many = new Map<number, number>();
    for (let k = 0; k < 10_000; k++) many.set(ip('198.19.0.0') + 256 + k, 1);
    n.want(many, ADDRS, 0);
    let sent = 0;
    for (let t = 0; t < 10_000; t += 100) sent += n.due(t).length;
    // Nothing waits for any of them: the sweep leaves a tenth of each second unused.
    expect(sent).toBe(10 * (REQUESTS_PER_S - RESERVED_FOR_WAITING));
  });

  it('fails a learned entry not confirmed for 90 s, then asks at once and backs off', () => {
    const n = new Neighbours(IFS);
    n.want(wanted('198.19.0.11'), ADDRS, 0);
    n.due(0);
    const e = n.heard(ip('198.19.0.11'), mac(11), 0, 1, 0);
    const events: NeighEvent[] = [];
    const times: number[] = [];
    for (let t = 1000; t <= 100_000; t += 1000) if (n.due(t, events).length) times.push(t);
    // Refreshes at 30, 60, 90 s unanswered; failed at 91 s and asked at once, then 92, 94, 98 s.
    expect(times).toEqual([30_000, 60_000, 90_000, 91_000, 92_000, 94_000, 98_000]);
    expect(n.neighState[e]).toBe(NEIGH_FAILED);
    expect(events.map((x) => x.what)).toEqual(['failed']);
    n.heard(ip('198.19.0.11'), mac(11), 0, 1, 100_500);
    expect(n.neighState[e]).toBe(NEIGH_LEARNED);
  });

  it('keeps a static entry whatever ARP says, and never asks for it', () => {
    const n = new Neighbours(IFS);
    const e = n.setStatic(ip('198.19.0.11'), mac(11), 0, 1);
    n.want(wanted('198.19.0.11'), ADDRS, 0);
    expect(n.heard(ip('198.19.0.11'), mac(99), 0, 1, 5)).toBe(0);
    expect([...n.neighMac.subarray(6 * e, 6 * e + 6)]).toEqual([...mac(11)]);
    expect(n.due(200_000)).toEqual([]);
  });

  it('reports addresses that do not fit a full table', () => {
    const n = new Neighbours(IFS, 3);
    const events = n.want(wanted('198.19.0.11', '198.19.0.12', '198.19.0.13'), ADDRS, 0);
    expect(events).toEqual([{ address: '198.19.0.13', device: 'eth1', what: 'table full' }]);
  });
});

describe('neighbours of a running engine', () => {
  it('a table change brings in the new servers\' addresses and lets go of those no server has any more', async () => {
    const { engine, table, service } = await import('./helpers.js');
    const three = table([service([{ addr: '198.19.0.11' }, { addr: '198.19.0.12' }, { addr: '198.19.0.13' }])]);
    const e = engine(three, { neighbours: false });
    expect(e.neigh.size).toBe(3);
    e.apply(table([service([{ addr: '198.19.0.11' }, { addr: '198.19.0.12' }, { addr: '198.19.0.14' }])]));
    expect([ip('198.19.0.13'), ip('198.19.0.14')].map((a) => e.neigh.resolve(a) !== 0)).toEqual([false, true]);
    expect(e.neigh.size).toBe(3);
    // The new one is asked for at once, on the interface that reaches it.
    expect(asked(e.neigh.due(0)).filter((x) => x.endsWith('.14'))).toEqual(['1:198.19.0.14']);
  });

  it('asks first for the addresses frames are waiting for when the budget is short', () => {
    const n = new Neighbours(IFS);
    const many = new Map<number, number>();
    for (let k = 0; k < 3000; k++) many.set(ip('198.19.0.0') + 256 + k, 1);
    n.want(many, ADDRS, 0);
    const last = ip('198.19.0.0') + 256 + 2999;
    n.noteMissing(last);
    const first = n.due(0);
    expect(first).toHaveLength(REQUESTS_PER_S - RESERVED_FOR_WAITING);
    expect(asked(first)[0]).toBe(`1:${formatIPv4(last)}`);
  });

  it('keeps a tenth of each second for them: a server a frame waits for after the sweep took its share is asked within 100 ms', () => {
    const n = new Neighbours(IFS);
    const many = new Map<number, number>();
    for (let k = 0; k < 3000; k++) many.set(ip('198.19.0.0') + 256 + k, 1);
    n.want(many, ADDRS, 0);
    expect(n.due(0)).toHaveLength(REQUESTS_PER_S - RESERVED_FOR_WAITING);
    const later = ip('198.19.0.0') + 256 + 2999; // not reached by this second's sweep
    n.noteMissing(later);
    expect(n.pending(100)).toBe(true);
    expect(asked(n.due(100))).toEqual([`1:${formatIPv4(later)}`]);
  });
});
