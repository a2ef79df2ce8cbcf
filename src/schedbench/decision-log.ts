// What a scheduler saw during a run, in order: list updates, counter changes
// (Dests.onChange) and schedule() calls with their answers. Replaying the log
// against a fresh scheduler in a tight loop times the scheduler alone under
// the run's real counter states, and checks that its answers depend on nothing
// but what it was shown (each replayed answer must equal the logged one).
import { createScheduler } from '../sched/registry.js';
import type { DestView, Scheduler } from '../sched/types.js';

const OP_CHANGE = 1;
const OP_SCHED = 2;
const OP_UPDATE = 3;
/** Entries kept; a longer run replays its first LIMIT entries. */
const LIMIT = 1 << 23;

/** A DestView's columns, writable (the replay's view) or frozen in time (a snapshot). */
interface Columns {
  weight: Int32Array;
  flags: Uint8Array;
  upper?: Uint32Array;
  lower?: Uint32Array;
  addr?: Uint32Array;
  port?: Uint16Array;
}

interface Snapshot extends Columns {
  ids: Uint32Array;
}

interface ReplayView extends Columns {
  active: Uint32Array;
  inactive: Uint32Array;
}

/** The columns a scheduler may read besides the counters, copied as they are now (optional ones when present). */
function snapshot(ids: Uint32Array, d: DestView): Snapshot {
  return {
    ids: ids.slice(), weight: d.weight.slice(), flags: d.flags.slice(),
    upper: d.upper?.slice(), lower: d.lower?.slice(), addr: d.addr?.slice(), port: d.port?.slice(),
  };
}

export interface ReplayResult {
  decisions: number;
  /** Seconds of the fastest replay of the log: schedule(), changed() and update() calls. */
  seconds: number;
  mismatches: number;
}

export class DecisionLog {
  private op = new Uint8Array(1 << 16);
  private a = new Int32Array(1 << 16);
  private b = new Int32Array(1 << 16);
  private c = new Int32Array(1 << 16);
  private t = new Float64Array(1 << 16);
  private n = 0;
  private readonly snapshots: Snapshot[] = [];
  decisions = 0;

  constructor(
    readonly name: string,
    readonly flags: readonly string[],
    readonly daddr: number,
    readonly dport: number,
  ) {}

  /** The service's list or weights changed (ServiceRuntime.apply ran update()). */
  update(ids: Uint32Array, d: DestView): void {
    if (!this.room()) return;
    this.snapshots.push(snapshot(ids, d));
    this.push(OP_UPDATE, this.snapshots.length - 1, 0, 0, 0);
  }

  change(d: number, dests: DestView): void {
    if (this.room()) this.push(OP_CHANGE, d, dests.active[d], dests.inactive[d], dests.flags[d]);
  }

  sched(saddr: number, sport: number, now: number, chosen: number): void {
    if (!this.room()) return;
    this.push(OP_SCHED, saddr | 0, sport, chosen, now);
    this.decisions++;
  }

  private room(): boolean {
    return this.n < LIMIT;
  }

  private push(op: number, a: number, b: number, c: number, t: number): void {
    if (this.n === this.op.length) this.grow();
    const i = this.n++;
    this.op[i] = op;
    this.a[i] = a;
    this.b[i] = b;
    this.c[i] = c;
    this.t[i] = t;
  }

  private grow(): void {
    const m = this.op.length * 2;
    const op = new Uint8Array(m); op.set(this.op); this.op = op;
    const a = new Int32Array(m); a.set(this.a); this.a = a;
    const b = new Int32Array(m); b.set(this.b); this.b = b;
    const c = new Int32Array(m); c.set(this.c); this.c = c;
    const t = new Float64Array(m); t.set(this.t); this.t = t;
  }

  /**
   * Replays against a fresh scheduler and fresh counters, until `minMs` have been
   * spent (at least 3, at most 500 passes), and keeps the fastest pass: on a
   * shared machine the slower passes are the ones something else interrupted.
   * A pass includes writing the logged counters before each changed() call, a
   * few typed-array stores that every scheduler pays alike; subtracting a
   * counters-only pass was tried and is lost in the noise.
   */
  replay(minMs = 40): ReplayResult {
    let best = Infinity;
    let mismatches = -1;
    let spent = 0;
    for (let r = 0; r < 500 && (r < 3 || spent < minMs); r++) {
      const s = createScheduler(this.name, this.flags);
      const t0 = performance.now();
      const bad = this.run(s);
      const dt = performance.now() - t0;
      if (mismatches < 0) mismatches = bad;
      best = Math.min(best, dt);
      spent += dt;
    }
    // Floor at the timer's resolution, so a tiny log cannot divide by zero.
    return { decisions: this.decisions, seconds: Math.max(best, 0.001) / 1000, mismatches };
  }

  /** One pass; returns how many answers differ from the logged ones. */
  private run(s: Scheduler): number {
    const size = this.snapshots.reduce((m, x) => Math.max(m, x.weight.length), 2);
    const first = this.snapshots[0];
    const view: ReplayView = {
      weight: new Int32Array(size), flags: new Uint8Array(size), active: new Uint32Array(size), inactive: new Uint32Array(size),
      ...(first?.upper && { upper: new Uint32Array(size) }), ...(first?.lower && { lower: new Uint32Array(size) }),
      ...(first?.addr && { addr: new Uint32Array(size) }), ...(first?.port && { port: new Uint16Array(size) }),
    };
    const { op, a, b, c, t, daddr, dport } = this;
    let bad = 0;
    for (let i = 0; i < this.n; i++) {
      const k = op[i];
      if (k === OP_CHANGE) {
        const d = a[i];
        view.active[d] = b[i];
        view.inactive[d] = c[i];
        view.flags[d] = t[i];
        if (s.changed !== undefined) s.changed(d, view);
      } else if (k === OP_SCHED) {
        if (s.schedule(view, a[i] >>> 0, b[i], daddr, dport, t[i]) !== c[i]) bad++;
      } else {
        const snap = this.snapshots[a[i]];
        view.weight.set(snap.weight);
        view.flags.set(snap.flags);
        if (snap.upper) view.upper?.set(snap.upper);
        if (snap.lower) view.lower?.set(snap.lower);
        if (snap.addr) view.addr?.set(snap.addr);
        if (snap.port) view.port?.set(snap.port);
        s.update(snap.ids, view);
      }
    }
    return bad;
  }
}
