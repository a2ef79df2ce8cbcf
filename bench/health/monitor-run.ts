// The real HealthMonitor with the real probes (through recorder.ts), checking the
// lab's responders from this process, and what it costs and how fast it sees a
// failure. steady(): over a window, the process's CPU (process.cpuUsage: every
// thread of it), the main thread's (schedstat: exact, and apart from a data
// plane thread in the same process) and its wait for a CPU (the machine's other
// load), rounds a second, attempt times, round
// lateness, event-loop delay, rounds in flight and waiting for a slot, TIME_WAIT
// sockets of the namespace and the responders' CPU. failure(): deletes k
// responder addresses at once, times each server's down verdict (the monitor's
// apply callback, where the router would take it) from the delete, then puts the
// addresses back and times the up verdicts the same way.
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { HealthMonitor, type HealthUpdate } from '../../src/health/monitor.js';
import { parseIPv4 } from '../../src/model/index.js';
import { createLogger } from '../../src/router/log.js';
import { schedstat } from '../control/threads.js';
import { ms, pct } from '../control/setup.js';
import { healthConfig, INTERVAL_S, type CheckKind } from './checks.js';
import { addressBatch } from './lab.js';
import { ProbeRecorder } from './recorder.js';

const sleep = (t: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, t));
const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
const TICK_HZ = 100; // /proc/PID/stat's clock ticks (USER_HZ)
/** The event-loop delay monitor's timer period (ms). */
const LOOP_RESOLUTION_MS = 2;

export interface MonitorRunOptions {
  addresses: string[];
  kind: CheckKind;
  /** undefined: the monitor's default. */
  maxConcurrent?: number;
  responders: { ns: string; pid: number };
}

export interface Steady {
  seconds: number;
  rounds: number;
  roundsFailed: number;
  cpuPct: number;
  userPct: number;
  sysPct: number;
  mainThreadPct: number;
  /** Time the main thread was runnable but waited for a CPU (schedstat), % of the window: the machine's other load. */
  mainWaitPct: number;
  attempt: Pcts;
  late: Pcts;
  loopDelay: Pcts;
  inFlightMax: number;
  waitingMax: number;
  timeWait: number;
  respondersPct: number;
  failures: string;
}

export interface Detection {
  failed: number;
  deleteMs: number;
  down: number[];
  up: number[];
  /** Lateness of the rounds of the servers that did not fail, meanwhile. */
  othersLate: Pcts;
  inFlightMax: number;
  waitingMax: number;
  /** Down verdicts on servers that did not fail (there should be none). */
  falseDowns: number;
  failures: string;
}

export interface Pcts { p50: number; p90: number; p99: number; max: number; n: number }

export function pcts(xs: number[]): Pcts {
  const s = sorted(xs);
  return { p50: ms(pct(s, 50)), p90: ms(pct(s, 90)), p99: ms(pct(s, 99)), max: ms(s.length ? s[s.length - 1] : NaN), n: s.length };
}

export class MonitorUnderTest {
  readonly monitor: HealthMonitor;
  readonly recorder: ProbeRecorder;
  private readonly downAt = new Map<number, number>();
  private readonly upAt = new Map<number, number>();

  constructor(private readonly o: MonitorRunOptions) {
    this.recorder = new ProbeRecorder(o.addresses, INTERVAL_S * 1000);
    this.monitor = new HealthMonitor({
      probe: this.recorder.probe,
      apply: async (u) => this.verdicts(u),
      log: createLogger({ write: () => {} }),
      ...(o.maxConcurrent ? { maxConcurrent: o.maxConcurrent } : {}),
    });
    this.monitor.configure(healthConfig(o.addresses, o.kind));
  }

  start(): void {
    this.monitor.start();
  }

  stop(): Promise<void> {
    return this.monitor.stop();
  }

  private verdicts(u: HealthUpdate): void {
    const t = performance.now();
    for (const v of u.verdicts) {
      // The bench's servers are IPv4: verdicts carry their address as a number.
      if (typeof v.address !== 'number') continue;
      const at = v.verdict?.up === false ? this.downAt : this.upAt;
      if (!at.has(v.address)) at.set(v.address, t);
    }
  }

  /** The monitor's slots, sampled every 20 ms while `during` runs. */
  private async slots<T>(during: Promise<T>): Promise<{ value: T; inFlightMax: number; waitingMax: number }> {
    let inFlightMax = 0;
    let waitingMax = 0;
    const look = (): void => {
      const c = this.monitor.counts();
      inFlightMax = Math.max(inFlightMax, c.inFlight);
      waitingMax = Math.max(waitingMax, c.waiting);
    };
    const timer = setInterval(look, 20);
    try {
      const value = await during;
      look();
      return { value, inFlightMax, waitingMax };
    } finally {
      clearInterval(timer);
    }
  }

  async steady(windowMs: number): Promise<Steady> {
    const h = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
    const c0 = this.monitor.counts();
    const main0 = schedstat(process.pid);
    const resp0 = procTicks(this.o.responders.pid);
    this.recorder.reset();
    h.enable();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const s = await this.slots(sleep(windowMs));
    const cpu = process.cpuUsage(cpu0);
    const wall = performance.now() - t0;
    h.disable();
    const main1 = schedstat(process.pid);
    const c1 = this.monitor.counts();
    const pctOf = (us: number): number => +((us / 1000 / wall) * 100).toFixed(1);
    // The histogram holds the whole time between two of its timer's turns: less the period, it is the delay.
    const delay = (ns: number): number => ms(Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS));
    const loop = h.count > 0 ? { p50: delay(h.percentile(50)), p90: delay(h.percentile(90)), p99: delay(h.percentile(99)), max: delay(h.max), n: h.count } : pcts([]);
    return {
      seconds: +(wall / 1000).toFixed(1),
      rounds: c1.roundsOk + c1.roundsFailed - c0.roundsOk - c0.roundsFailed,
      roundsFailed: c1.roundsFailed - c0.roundsFailed,
      cpuPct: pctOf(cpu.user + cpu.system), userPct: pctOf(cpu.user), sysPct: pctOf(cpu.system),
      mainThreadPct: pctOf((main1.runNs - main0.runNs) / 1000), mainWaitPct: pctOf((main1.waitNs - main0.waitNs) / 1000),
      attempt: pcts(this.recorder.ms), late: pcts(this.recorder.late), loopDelay: loop,
      inFlightMax: s.inFlightMax, waitingMax: s.waitingMax, timeWait: timeWaitSockets(),
      respondersPct: +((((procTicks(this.o.responders.pid) - resp0) / TICK_HZ) * 1000 / wall) * 100).toFixed(1),
      failures: this.recorder.failureSummary(),
    };
  }

  /**
   * Takes `count` servers (spread evenly over the list) down at once by deleting
   * their addresses in R, and back up; waits for each verdict at most `boundMs`
   * x 3 + 2 s. Times are from the start of the delete (or add) command.
   */
  async failure(count: number, boundMs: number): Promise<Detection> {
    const n = this.o.addresses.length;
    const picks = Array.from({ length: count }, (_, j) => Math.floor(((j + 0.5) * n) / count));
    const addrs = picks.map((i) => this.o.addresses[i]);
    const keys = addrs.map((a) => parseIPv4(a)!);
    for (const i of picks) this.recorder.skip[i] = 1;
    this.downAt.clear();
    this.upAt.clear();
    this.recorder.reset();
    const ns = this.o.responders.ns;
    const waitFor = async (at: Map<number, number>): Promise<void> => {
      const until = performance.now() + boundMs * 3 + 2000;
      while (performance.now() < until && !keys.every((k) => at.has(k))) await sleep(20);
    };
    let restored = false;
    try {
      const t0 = performance.now();
      const deleteMs = await addressBatch(ns, 'del', addrs);
      const d = await this.slots(waitFor(this.downAt));
      const othersLate = pcts(this.recorder.late);
      const failures = this.recorder.failureSummary();
      const falseDowns = [...this.downAt.keys()].filter((k) => !keys.includes(k)).length;
      const down = keys.filter((k) => this.downAt.has(k)).map((k) => (this.downAt.get(k)! - t0) / 1000);
      this.upAt.clear();
      const t1 = performance.now();
      await addressBatch(ns, 'add', addrs);
      restored = true;
      await waitFor(this.upAt);
      const up = keys.filter((k) => this.upAt.has(k)).map((k) => (this.upAt.get(k)! - t1) / 1000);
      return { failed: count, deleteMs, down, up, othersLate, inFlightMax: d.inFlightMax, waitingMax: d.waitingMax, falseDowns, failures };
    } finally {
      if (!restored) await addressBatch(ns, 'add', addrs).catch(() => {});
      this.recorder.skip.fill(0);
    }
  }
}

/** CPU time (user + system, every thread) of process `pid`, in clock ticks. */
function procTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return NaN;
  }
}

/** TIME_WAIT sockets of this process's network namespace (/proc/net/sockstat is per namespace). */
function timeWaitSockets(): number {
  try {
    return Number(/^TCP:.* tw (\d+)/m.exec(readFileSync('/proc/net/sockstat', 'utf8'))?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}
