// The connection table (IPVS ip_vs_conn_tab and struct ip_vs_conn) in typed arrays
// indexed by slot 1..capacity (0 = none): a row per entry (rows.ts). Nothing is
// allocated per connection or per call: open hashing with index chains in a
// Uint32Array, a free list threaded through the same chain links, expiry through a
// timer wheel.
//
// Hashing, as ip_vs_conn_hashkey_param: a conn sits in one chain, keyed by its
// client endpoint (proto, caddr, cport), which packets of both directions carry: a
// client's packet as its source (lookupIn), a NAT reply as its destination
// (lookupOut). One chain per conn, so a new conn costs one bucket, not two. The
// caller knows the direction, as IPVS knows it from the hook (ip_vs_in, ip_vs_out).
// Templates are keyed by their whole tuple with their own seed (they share the
// buckets, not the keys).
import { ConnRows, FREE, K, R } from './rows.js';
import { Dests } from './dests.js';
import {
  CONN_F_HASHED, CONN_F_INACTIVE, CONN_F_NAT, CONN_F_NOOUTPUT, CONN_F_ONE_PACKET, CONN_F_SYNC, CONN_F_TEMPLATE,
} from './flags.js';
import { HashChains } from './chains.js';
import { hashEndpoint, hashTuple } from './hash.js';
import {
  DIR_INPUT_ONLY, DIR_OUTPUT, TCP_NEXT, TCP_NEXT_DOS, TCP_S_ESTABLISHED, TCP_S_NONE, TCP_S_SYN_RECV, TCP_S_SYNACK, tcpEvent, tcpNextState,
} from './tcp-states.js';
import { Timeouts } from './timeouts.js';
import { TimerWheel, type WheelOwner } from './wheel.js';

/** Half-open entries evictHalfOpen compares before it frees the oldest. */
const EVICT_CHOICES = 4;

export * from './flags.js';

const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
/** todrop_entry(): "if the conn entry hasn't lasted for 60 seconds, don't drop it". */
const DROP_ENTRY_MIN_IDLE_MS = 60_000;
/** ip_vs_conn_expire "expire_later": "cp->timeout = 60*HZ" for a template still in control. */
const EXPIRE_LATER_MS = 60_000;
const TEMPLATE_SEED_MIX = 0x5bd1e995;
/** Words of ConnTable.addr6 per slot: client, virtual and dest address, 4 each. */
export const A6 = 12;
const NO_ADDR6 = new Int32Array(0);
/** lookup()'s refs (slot*2 + dir) then stay below 2^30, small integers to V8. */
const MAX_CAPACITY = 2 ** 28;

export interface ConnTableOptions {
  /** Slots 1..capacity; conns and templates together. */
  capacity: number;
  dests: Dests;
  timeouts?: Timeouts;
  /** Timer wheel tick; expiry may be this much late, never early. Default 64 ms. */
  tickMs?: number;
  /** Wheel slots (power of two). Default 16384: 17.5 min at 64 ms, beyond the 15 min ESTABLISHED. */
  wheelSize?: number;
  /** Most expiries per expire() call (and 4x that many lazily re-filed entries examined). Default 65536. */
  expireBudget?: number;
  /** Hash seed (IPVS: ip_vs_conn_rnd). Default random per table. */
  seed?: number;
}

/** Told when an entry holding a client peer goes (engine/l2.ts refcounts peers). */
export interface PeerOwner {
  unrefPeer(peer: number): void;
}

export class ConnTable extends ConnRows {
  /** Live entries, templates included. */
  count = 0;
  /** Whoever refcounts the peer column; null: nobody does. */
  peerOwner: PeerOwner | null = null;
  /**
   * The addresses of IPv6 entries (K.V6), A6 words per slot: client at 0,
   * virtual at 4, dest at 8, each as 4 big-endian 32-bit words. Their rows hold
   * the XOR folds of those addresses, so that both families share one table,
   * one wheel and one set of chains (and a v6 entry is in the chain of its
   * fold), and IPv4's lookups, which never match a K.V6 row, cost nothing more.
   * Allocated by enable6() when the first IPv6 service comes.
   */
  addr6: Int32Array = NO_ADDR6;
  readonly dests: Dests;
  readonly timeouts: Timeouts;
  /** Expiry ticks and wheel links (wheel.expires[slot] is the deadline tick). */
  readonly wheel: TimerWheel;
  readonly expireBudget: number;
  /** Hash chains; link[slot] of a free slot threads the free list. */
  private readonly chains: HashChains;
  private readonly seed: number;
  private readonly tseed: number;
  private freeHead = 0;
  /** Lowest slot never handed out. */
  private fresh = 1;
  private readonly owner: WheelOwner;
  /** The state table and timeouts in force: the normal ones, or secure_tcp's (setSecureTcp). */
  private nextTable: Uint8Array = TCP_NEXT;
  private tcpMsNow: Uint32Array;
  /** xorshift32 state of the random probes (evictHalfOpen, randomDropEntry). */
  private rnd: number;

  constructor(opts: ConnTableOptions) {
    const cap = opts.capacity;
    if (!Number.isInteger(cap) || cap < 1 || cap > MAX_CAPACITY) throw new RangeError(`capacity must be an integer 1..${MAX_CAPACITY}, got ${cap}`);
    super(cap);
    this.dests = opts.dests;
    this.timeouts = opts.timeouts ?? new Timeouts();
    this.expireBudget = opts.expireBudget ?? 65536;
    this.wheel = new TimerWheel(cap, opts.tickMs ?? 64, opts.wheelSize ?? 16384);
    // One chain entry per slot: capacity buckets keep the load factor <= 1.
    this.chains = new HashChains(cap, cap);
    this.seed = (opts.seed ?? Math.floor(Math.random() * 0x100000000)) | 0;
    this.tseed = this.seed ^ TEMPLATE_SEED_MIX;
    this.owner = { fire: (slot: number, now: number): number => this.onTimer(slot, now) };
    this.tcpMsNow = this.timeouts.tcpMs;
    this.rnd = (this.seed ^ 0x9e3779b9) | 1;
  }

  /**
   * ip_vs_protocol_timeout_change(): secure_tcp on switches the TCP state table to
   * tcp_states_dos and the timeouts to the secure ones; off switches back. Conns
   * take the change at their next packet, as in IPVS.
   */
  setSecureTcp(on: boolean): void {
    this.nextTable = on ? TCP_NEXT_DOS : TCP_NEXT;
    this.tcpMsNow = on ? this.timeouts.tcpMsSecure : this.timeouts.tcpMs;
  }

  get secureTcp(): boolean {
    return this.nextTable === TCP_NEXT_DOS;
  }

  /** A random slot among those handed out so far (1..highWater-1); 0 when none. */
  private randomSlot(): number {
    let x = this.rnd;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rnd = x;
    const n = this.fresh - 1;
    return n <= 0 ? 0 : 1 + ((x >>> 0) % n);
  }

  /** A TCP conn still in its handshake (SYN_RECV, SYNACK, or NONE), free to go: no template, controls nobody. */
  private halfOpen(s: number): boolean {
    const st = this.stateOf(s);
    if (st === FREE || this.protoOf(s) !== IPPROTO_TCP || (this.flagsOf(s) & CONN_F_TEMPLATE) !== 0 || this.nControl[s] !== 0) return false;
    return st === TCP_S_SYN_RECV || st === TCP_S_SYNACK || st === TCP_S_NONE;
  }

  /**
   * Frees one half-open TCP conn, found among `probes` random slots, so that a new
   * conn fits in a full table: a SYN flood's entries make way for the next client
   * instead of refusing it until they time out. Of the first EVICT_CHOICES
   * half-open ones found, the one nearest its expiry goes: the oldest, a flood's,
   * rather than a legitimate client's whose ACK is a round trip away (with one
   * random pick, a client lost its handshake about once in capacity / flood rate
   * / RTT). Returns 1 when one went, else 0 (the table is full of conns that got
   * past their handshake: those stay).
   */
  evictHalfOpen(probes: number): number {
    let best = 0, found = 0;
    const expires = this.wheel.expires;
    for (let k = 0; k < probes && found < EVICT_CHOICES; k++) {
      const s = this.randomSlot();
      if (s !== 0 && this.halfOpen(s)) {
        found++;
        if (best === 0 || expires[s] < expires[best]) best = s;
      }
    }
    if (best === 0) return 0;
    this.wheel.remove(best);
    this.release(best);
    return 1;
  }

  /**
   * ip_vs_random_dropentry(): looks at `probes` random slots (IPVS: 1/32 of the hash
   * buckets a second) and drops those a flood fills the table with: TCP conns in
   * SYN_RECV or SYNACK always; ESTABLISHED TCP and other protocols' conns when
   * todrop_entry() allows, i.e. idle at least 60 s. (todrop_entry() also spares
   * conns with more than 8 client packets; tsvs counts those only when sync runs,
   * so it drops every idle one.) Templates and entries controlling others stay.
   * Returns how many were dropped.
   */
  randomDropEntry(probes: number, now: number): number {
    let dropped = 0;
    for (let k = 0; k < probes; k++) {
      const s = this.randomSlot();
      if (s === 0 || this.stateOf(s) === FREE || (this.flagsOf(s) & CONN_F_TEMPLATE) !== 0 || this.nControl[s] !== 0) continue;
      const st = this.stateOf(s);
      let drop: boolean;
      if (this.protoOf(s) === IPPROTO_TCP && (st === TCP_S_SYN_RECV || st === TCP_S_SYNACK)) drop = true;
      else if (this.protoOf(s) === IPPROTO_TCP && st !== TCP_S_ESTABLISHED) drop = false;
      else drop = this.timeoutOf(s) - this.remaining(s, now) >= DROP_ENTRY_MIN_IDLE_MS;
      if (!drop) continue;
      this.wheel.remove(s);
      this.release(s);
      dropped++;
    }
    return dropped;
  }

  /**
   * ip_vs_conn_in_get(): the conn whose client->VIP tuple a client's packet carries
   * (saddr:sport -> daddr:dport). Slot, or 0. Addresses may be signed or unsigned; on
   * the hot path pass them as int32 (`| 0`, DataView.getInt32): V8 boxes a number
   * >= 2^31 passed to a call it did not inline.
   */
  lookupIn(proto: number, saddr: number, sport: number, daddr: number, dport: number): number {
    saddr |= 0;
    daddr |= 0;
    const ports = (sport << 16) | dport;
    const key = proto << 8; // and not K.TEMPLATE, not K.V6
    const link = this.chains.link;
    const row = this.row;
    let s = this.chains.buckets[hashEndpoint(this.seed, proto, saddr, sport) & this.chains.mask];
    while (s !== 0) {
      const b = s * R.SIZE;
      if (row[b + R.CADDR] === saddr && row[b + R.PORTS] === ports && row[b + R.VADDR] === daddr && (row[b + R.KEY] & 0xff06) === key) return s;
      s = link[s];
    }
    return 0;
  }

  /**
   * ip_vs_conn_out_get(): the NAT conn whose real server->client tuple a reply carries
   * (saddr:sport = daddr:dport of the conn, daddr:dport = its client). Slot, or 0.
   */
  lookupOut(proto: number, saddr: number, sport: number, daddr: number, dport: number): number {
    saddr |= 0;
    daddr |= 0;
    const key = (sport << 16) | (proto << 8) | K.NAT; // a NAT conn, not a template
    const link = this.chains.link;
    const row = this.row;
    let s = this.chains.buckets[hashEndpoint(this.seed, proto, daddr, dport) & this.chains.mask];
    while (s !== 0) {
      const b = s * R.SIZE;
      if (row[b + R.CADDR] === daddr && row[b + R.PORTS] >>> 16 === dport && row[b + R.DADDR] === saddr && row[b + R.KEY] === key) return s;
      s = link[s];
    }
    return 0;
  }

  /**
   * Either direction, for callers that do not know it (ICMP errors, tools): slot*2 + dir
   * (0 a client's packet, 1 a NAT reply), 0 = neither.
   */
  lookup(proto: number, saddr: number, sport: number, daddr: number, dport: number): number {
    const s = this.lookupIn(proto, saddr, sport, daddr, dport);
    if (s !== 0) return 2 * s;
    const r = this.lookupOut(proto, saddr, sport, daddr, dport);
    return r !== 0 ? 2 * r + 1 : 0;
  }

  /** ip_vs_ct_in_get(): template keyed (proto, snet, cport 0, vaddr, vport). Slot or 0. */
  lookupTemplate(proto: number, snet: number, vaddr: number, vport: number): number {
    snet |= 0;
    vaddr |= 0;
    const key = (proto << 8) | K.TEMPLATE;
    const link = this.chains.link;
    const row = this.row;
    let s = this.chains.buckets[hashTuple(this.tseed, proto, snet, 0, vaddr, vport) & this.chains.mask];
    while (s !== 0) {
      const b = s * R.SIZE;
      if (row[b + R.CADDR] === snet && row[b + R.PORTS] === vport && row[b + R.VADDR] === vaddr && (row[b + R.KEY] & 0xff06) === key) return s;
      s = link[s];
    }
    return 0;
  }

  /** Gives the table room for IPv6 entries (addr6): 48 bytes per slot, once. */
  enable6(): void {
    if (this.addr6.length === 0) this.addr6 = new Int32Array((this.capacity + 1) * A6);
  }

  /**
   * lookupIn for IPv6: `a` holds the packet's source address at a[0..3] and its
   * destination at a[4..7] (fold6 words). Slot, or 0.
   */
  lookupIn6(proto: number, a: Int32Array, sport: number, dport: number): number {
    const sf = a[0] ^ a[1] ^ a[2] ^ a[3];
    const df = a[4] ^ a[5] ^ a[6] ^ a[7];
    const ports = (sport << 16) | dport;
    const key = (proto << 8) | K.V6;
    const link = this.chains.link;
    const row = this.row;
    const x = this.addr6;
    let s = this.chains.buckets[hashEndpoint(this.seed, proto, sf, sport) & this.chains.mask];
    while (s !== 0) {
      const b = s * R.SIZE;
      if (row[b + R.CADDR] === sf && row[b + R.PORTS] === ports && row[b + R.VADDR] === df && (row[b + R.KEY] & 0xff06) === key) {
        const w = s * A6;
        if (x[w] === a[0] && x[w + 1] === a[1] && x[w + 2] === a[2] && x[w + 3] === a[3] &&
          x[w + 4] === a[4] && x[w + 5] === a[5] && x[w + 6] === a[6] && x[w + 7] === a[7]) return s;
      }
      s = link[s];
    }
    return 0;
  }

  /**
   * lookupOut for IPv6: a reply from a real server, its source (the conn's dest)
   * at a[0..3] and its destination (the client) at a[4..7]. Slot, or 0.
   */
  lookupOut6(proto: number, a: Int32Array, sport: number, dport: number): number {
    const sf = a[0] ^ a[1] ^ a[2] ^ a[3];
    const df = a[4] ^ a[5] ^ a[6] ^ a[7];
    const key = (sport << 16) | (proto << 8) | K.NAT | K.V6;
    const link = this.chains.link;
    const row = this.row;
    const x = this.addr6;
    let s = this.chains.buckets[hashEndpoint(this.seed, proto, df, dport) & this.chains.mask];
    while (s !== 0) {
      const b = s * R.SIZE;
      if (row[b + R.CADDR] === df && row[b + R.PORTS] >>> 16 === dport && row[b + R.DADDR] === sf && row[b + R.KEY] === key) {
        const w = s * A6;
        if (x[w] === a[4] && x[w + 1] === a[5] && x[w + 2] === a[6] && x[w + 3] === a[7] &&
          x[w + 8] === a[0] && x[w + 9] === a[1] && x[w + 10] === a[2] && x[w + 11] === a[3]) return s;
      }
      s = link[s];
    }
    return 0;
  }

  /** lookupTemplate for IPv6: the client network at a[o..o+3], the VIP at a[o+4..o+7]. */
  lookupTemplate6(proto: number, a: Int32Array, o: number, vport: number): number {
    const nf = a[o] ^ a[o + 1] ^ a[o + 2] ^ a[o + 3];
    const vf = a[o + 4] ^ a[o + 5] ^ a[o + 6] ^ a[o + 7];
    const key = (proto << 8) | K.TEMPLATE | K.V6;
    const link = this.chains.link;
    const row = this.row;
    const x = this.addr6;
    let s = this.chains.buckets[hashTuple(this.tseed, proto, nf, 0, vf, vport) & this.chains.mask];
    while (s !== 0) {
      const b = s * R.SIZE;
      if (row[b + R.CADDR] === nf && row[b + R.PORTS] === vport && row[b + R.VADDR] === vf && (row[b + R.KEY] & 0xff06) === key) {
        const w = s * A6;
        if (x[w] === a[o] && x[w + 1] === a[o + 1] && x[w + 2] === a[o + 2] && x[w + 3] === a[o + 3] &&
          x[w + 4] === a[o + 4] && x[w + 5] === a[o + 5] && x[w + 6] === a[o + 6] && x[w + 7] === a[o + 7]) return s;
      }
      s = link[s];
    }
    return 0;
  }

  /**
   * add() of an IPv6 entry: the client address at c[co..co+3], the virtual one
   * at v[vo..], the dest's at d[do..]. The row gets their folds and K.V6; 0 when full.
   */
  add6(proto: number, c: Int32Array, co: number, cport: number, v: Int32Array, vo: number, vport: number,
      d: Int32Array, dOff: number, dport: number, dest: number, flags: number, control: number, now: number): number {
    const cf = c[co] ^ c[co + 1] ^ c[co + 2] ^ c[co + 3];
    const vf = v[vo] ^ v[vo + 1] ^ v[vo + 2] ^ v[vo + 3];
    const df = d[dOff] ^ d[dOff + 1] ^ d[dOff + 2] ^ d[dOff + 3];
    const s = this.add(proto, cf, cport, vf, vport, df, dport, dest, flags, control, now);
    if (s === 0) return 0;
    // The chain was chosen by the folds; K.V6 only keeps IPv4 lookups off the row.
    this.row[s * R.SIZE + R.KEY] |= K.V6;
    const x = this.addr6;
    const w = s * A6;
    for (let k = 0; k < 4; k++) {
      x[w + k] = c[co + k];
      x[w + 4 + k] = v[vo + k];
      x[w + 8 + k] = d[dOff + k];
    }
    return s;
  }

  /** ip_vs_conn_new() + ip_vs_bind_dest() + ip_vs_control_add(): slot, or 0 when full. */
  add(proto: number, caddr: number, cport: number, vaddr: number, vport: number,
      daddr: number, dport: number, dest: number, flags: number, control: number, now: number): number {
    let s = this.freeHead;
    if (s !== 0) this.freeHead = this.chains.link[s];
    else if (this.fresh <= this.capacity) s = this.fresh++;
    else return 0;
    this.wheel.start(now);
    flags &= ~CONN_F_HASHED;
    // ip_vs_bind_dest: "if (cp->protocol != IPPROTO_UDP) conn_flags &= ~IP_VS_CONN_F_ONE_PACKET".
    if (proto !== IPPROTO_UDP || (flags & CONN_F_TEMPLATE) !== 0) flags &= ~CONN_F_ONE_PACKET;
    // dest->conn_flags always carries IP_VS_CONN_F_INACTIVE; only a synced conn keeps its own.
    if ((flags & (CONN_F_TEMPLATE | CONN_F_SYNC)) === 0) flags |= CONN_F_INACTIVE;
    const template = (flags & CONN_F_TEMPLATE) !== 0;
    const timeout = proto === IPPROTO_UDP ? this.timeouts.udpMs : this.timeouts.tcpMs[TCP_S_NONE];
    // ip_vs_conn_hash: "if (cp->flags & IP_VS_CONN_F_ONE_PACKET) return 0;" - never findable.
    const hashed = (flags & (CONN_F_TEMPLATE | CONN_F_ONE_PACKET)) !== CONN_F_ONE_PACKET;
    if (hashed) flags |= CONN_F_HASHED;
    caddr |= 0;
    vaddr |= 0;
    const b = s * R.SIZE;
    const row = this.row;
    row[b + R.CADDR] = caddr;
    row[b + R.VADDR] = vaddr;
    row[b + R.PORTS] = (cport << 16) | vport;
    row[b + R.KEY] = (dport << 16) | (proto << 8) | ((flags & CONN_F_NAT) !== 0 ? K.NAT : 0) | (template ? K.TEMPLATE : 0);
    row[b + R.DADDR] = daddr;
    row[b + R.DEST] = dest;
    row[b + R.TIMEOUT] = timeout;
    row[b + R.STATE] = (flags << 8) | TCP_S_NONE; // TCP_S_NONE is also UDP_S_NORMAL
    this.control[s] = control;
    this.nControl[s] = 0;
    this.peer[s] = 0;
    if (hashed) this.chains.insert(s, this.keyOf(template, proto, caddr, cport, vaddr, vport));
    if (dest !== 0) this.dests.bind(dest, flags);
    if (control !== 0) this.nControl[control]++;
    this.count++;
    this.wheel.insert(s, this.wheel.deadline(now, (flags & CONN_F_ONE_PACKET) !== 0 ? 0 : timeout));
    return s;
  }

  /**
   * set_tcp_state() for one packet (dir 0 input, 1 output; 2 = input-only table), then
   * the re-arm ip_vs_conn_put() does after the packet. With NOOUTPUT: "if (state_off ==
   * TCP_DIR_OUTPUT) cp->flags &= ~IP_VS_CONN_F_NOOUTPUT; else state_off = TCP_DIR_INPUT_ONLY".
   */
  tcpTransition(slot: number, dir: number, tcpFlags: number, now: number): void {
    const row = this.row;
    const w = slot * R.SIZE + R.STATE;
    let table = dir;
    if ((row[w] & (CONN_F_NOOUTPUT << 8)) !== 0) {
      if (dir === DIR_OUTPUT) row[w] &= ~(CONN_F_NOOUTPUT << 8);
      else table = DIR_INPUT_ONLY;
    }
    const old = row[w] & 0xff;
    const next = tcpNextState(table, tcpEvent(tcpFlags), old, this.nextTable);
    if (next !== old) this.changeState(slot, next);
    // "cp->timeout = pd->timeout_table[cp->state = new_state]", on every packet.
    const ms = this.tcpMsNow[next];
    row[slot * R.SIZE + R.TIMEOUT] = ms;
    this.arm(slot, (row[w] & (CONN_F_ONE_PACKET << 8)) !== 0 ? 0 : ms, now);
  }

  /** A state change moves the conn between its dest's active and inactive counts. Kept
   *  out of tcpTransition, which runs for every packet, so that V8 inlines that one. */
  private changeState(slot: number, next: number): void {
    this.setState(slot, next);
    const d = this.destOf(slot);
    if (d === 0) return;
    const f = this.flagsOf(slot);
    if ((f & CONN_F_INACTIVE) === 0 && next !== TCP_S_ESTABLISHED) {
      this.setFlags(slot, f | CONN_F_INACTIVE);
      this.dests.toInactive(d);
    } else if ((f & CONN_F_INACTIVE) !== 0 && next === TCP_S_ESTABLISHED) {
      this.setFlags(slot, f & ~CONN_F_INACTIVE);
      this.dests.toActive(d);
    }
  }

  /** udp_state_transition(): "cp->timeout = pd->timeout_table[IP_VS_UDP_S_NORMAL]", then re-arm. */
  udpTransition(slot: number, now: number): void {
    this.setTimeoutMs(slot, this.timeouts.udpMs);
    this.touch(slot, now);
  }

  /** Re-arms: expires = now + the conn's timeout (0 for one-packet conns, as __ip_vs_conn_put_timer). */
  touch(slot: number, now: number): void {
    this.arm(slot, (this.flagsOf(slot) & CONN_F_ONE_PACKET) !== 0 ? 0 : this.timeoutOf(slot), now);
  }

  private arm(slot: number, ms: number, now: number): void {
    this.wheel.reschedule(slot, this.wheel.deadline(now, ms));
  }

  /** Sets the conn's timeout (templates: the persistence timeout) and re-arms from now. */
  setTimeout(slot: number, timeoutMs: number, now: number): void {
    this.setTimeoutMs(slot, timeoutMs <= 0 ? 0 : timeoutMs >= 0xffffffff ? 0xffffffff : Math.round(timeoutMs));
    this.touch(slot, now);
  }

  /** Runs the timers that are due, at most expireBudget of them per call. Returns how many were freed. */
  expire(now: number): number {
    return this.wheel.sweep(now, this.expireBudget, this.owner);
  }

  /**
   * ip_vs_conn_expire_now(), or a template failing ip_vs_check_template(). An entry that
   * controls nobody is freed at once. One that still controls conns cannot go ("do I
   * control anybody? ... goto expire_later"): a template is unhashed instead, as
   * ip_vs_check_template invalidates it, so no new conn finds it, and its timer runs on;
   * another conn (an FTP control conn) fires at the next sweep and is re-armed for 60 s.
   */
  expireNow(slot: number): void {
    if (!this.isLive(slot)) return;
    if (this.nControl[slot] !== 0) {
      if ((this.flagsOf(slot) & CONN_F_TEMPLATE) === 0) {
        this.wheel.remove(slot);
        this.wheel.insert(slot, this.wheel.cursor);
      } else if ((this.flagsOf(slot) & CONN_F_HASHED) !== 0) {
        this.unhash(slot);
      }
      return;
    }
    this.wheel.remove(slot);
    this.release(slot);
  }

  remaining(slot: number, now: number): number {
    return this.wheel.remaining(slot, now);
  }

  /** Slots below this have been handed out at least once (a sweep of the table stops here). */
  get highWater(): number {
    return this.fresh;
  }

  forEach(cb: (slot: number) => void): void {
    for (let s = 1; s < this.fresh; s++) if (this.stateOf(s) !== FREE) cb(s);
  }

  isLive(slot: number): boolean {
    return slot >= 1 && slot <= this.capacity && this.stateOf(slot) !== FREE;
  }

  /** ip_vs_conn_flush(): every entry goes, dests are unbound. */
  flush(): void {
    for (let s = 1; s < this.fresh; s++) {
      if (this.stateOf(s) !== FREE && this.destOf(s) !== 0) this.dests.unbind(this.destOf(s), this.flagsOf(s));
      if (this.stateOf(s) !== FREE) this.dropPeer(s);
      this.setState(s, FREE);
    }
    this.chains.clear();
    this.wheel.clear();
    this.freeHead = 0;
    this.fresh = 1;
    this.count = 0;
  }

  /** Bytes of typed arrays held (rows and columns, wheel, chains). */
  get bytes(): number {
    return this.rowBytes + this.wheel.bytes + this.chains.bytes;
  }

  /** The timer of an entry fired (it is already out of the wheel). */
  private onTimer(s: number, now: number): number {
    if (this.nControl[s] !== 0) {
      this.setTimeoutMs(s, EXPIRE_LATER_MS);
      this.wheel.insert(s, this.wheel.deadline(now, EXPIRE_LATER_MS));
      return 0;
    }
    this.release(s);
    return 1;
  }

  /** Unhash, ip_vs_unbind_dest, ip_vs_control_del, free the slot (out of the wheel already). */
  private release(s: number): void {
    const f = this.flagsOf(s);
    if ((f & CONN_F_HASHED) !== 0) this.unhash(s);
    const d = this.destOf(s);
    if (d !== 0) this.dests.unbind(d, f);
    const ct = this.control[s];
    if (ct !== 0) this.nControl[ct]--;
    this.dropPeer(s);
    this.setState(s, FREE);
    this.count--;
    this.chains.link[s] = this.freeHead;
    this.freeHead = s;
  }

  private dropPeer(s: number): void {
    const p = this.peer[s];
    if (p !== 0 && this.peerOwner !== null) this.peerOwner.unrefPeer(p);
    this.peer[s] = 0;
  }

  /** The hash key of an entry: its client endpoint, or a template's whole tuple with the
   *  template seed. Ports are 0..65535, addresses int32 (no uint32 >= 2^31 is boxed). */
  private keyOf(template: boolean, proto: number, caddr: number, cport: number, vaddr: number, vport: number): number {
    return template ? hashTuple(this.tseed, proto, caddr, cport, vaddr, vport) : hashEndpoint(this.seed, proto, caddr, cport);
  }

  /** The slot's hash key, from its stored fields. */
  private key(s: number): number {
    return this.keyOf((this.flagsOf(s) & CONN_F_TEMPLATE) !== 0, this.protoOf(s), this.caddrOf(s) | 0, this.cportOf(s), this.vaddrOf(s) | 0, this.vportOf(s));
  }

  private unhash(s: number): void {
    this.chains.remove(s, this.key(s));
    this.setFlags(s, this.flagsOf(s) & ~CONN_F_HASHED);
  }
}
