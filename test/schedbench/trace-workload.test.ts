// The scheduler benchmark on a `tsvs simulate` trace: counts against a hand
// tally, and every decision against the real Engine driven by the Simulator
// (the benchmark drives ServiceRuntime and ConnTable directly, through the
// engine's own NewConnections).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveSchedOptions, type SchedBenchInput } from '../../src/schedbench/options.js';
import { loadWorkload, runSchedBench } from '../../src/schedbench/run-bench.js';
import { runScheduler, TICK_MS } from '../../src/schedbench/run-scheduler.js';
import { parseTrace } from '../../src/schedbench/trace.js';
import { SERVER_BASE } from '../../src/schedbench/world.js';
import { buildTable, formatIPv4 } from '../../src/model/index.js';
import { Simulator } from '../../src/router/simulator.js';
import { implementedSchedulers } from '../../src/sched/registry.js';

const dir = mkdtempSync(join(tmpdir(), 'tsvs-bench-sched-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function traceFile(name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

const VIP = '192.0.2.80:80';
const BIG: SchedBenchInput = { servers: [1000000, 1000000, 1000000], failAt: null };

/**
 * Every event at 0.011 + 0.37 k s: in ms always odd, so no event, and no
 * deadline it arms (120 s, 10 s, 300 s, 900 s, 60 s, 5 s later), falls on a
 * 64 ms timer tick, and rounding in the queue model cannot move an expiry.
 */
const at = (k: number): string => (0.011 + 0.37 * k).toFixed(3);

/** Opens on even steps, closes on odd ones; reused ports, repeat clients, long gaps, another service. */
function mixedTrace(): string[] {
  const ev: [number, string][] = [];
  const flows: string[] = [];
  for (let j = 0; j < 180; j++) {
    const k = 2 * j + (j >= 120 ? 500 : 0); // a gap of 185 s: TIME_WAIT entries expire
    // Every fifth flow reuses the client and port of the flow five before, which has closed
    // (at most 7 steps after its open) and is in TIME_WAIT, or gone after the gap.
    const reuse = j % 5 === 4 && (j - 5) % 9 !== 0 && j >= 5;
    const flow = reuse ? flows[j - 5] : `198.51.100.${1 + ((j * 7) % 23)}:${40000 + j}`;
    flows.push(flow);
    ev.push([k, `open tcp ${flow} ${VIP}`]);
    if (j % 9 !== 0) ev.push([k + 1 + 2 * ((j * 5) % 4), `close tcp ${flow} ${VIP}`]);
    if (j % 30 === 0) ev.push([k, `open tcp ${flow} 192.0.2.81:80`]);
  }
  ev.sort((a, b) => a[0] - b[0]);
  // The trace must not open a flow that is open.
  const open = new Set<string>();
  for (const [, l] of ev) {
    const [kind, , flow, vip] = l.split(' ');
    if (vip !== VIP) continue;
    if (kind === 'open' && open.has(flow)) throw new Error(`${flow} opened twice`);
    if (kind === 'open') open.add(flow);
    else open.delete(flow);
  }
  return ev.map(([k, l]) => `${at(k)} ${l}`);
}

/**
 * 400 flows from 12 clients returning after 1-150 s, each open 0.4-7.8 s; a
 * third reuse the client port of that client's last flow (closed: TIME_WAIT,
 * or gone). With persistence 150 s, templates outlive their connections or
 * not depending on when they were last used, so template timing shows.
 */
function randomTrace(seed: number): string[] {
  let x = seed;
  const rand = (n: number): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return (x >>> 8) % n;
  };
  const ev: [number, string][] = [];
  const last = new Map<number, { flow: string; closes: number }>();
  let k = 0;
  for (let f = 0; f < 400; f++) {
    k += 2 * (1 + rand(20));
    const c = rand(12);
    const prev = last.get(c);
    const flow = prev && prev.closes < k && rand(3) === 0 ? prev.flow : `198.51.100.${100 + c}:${40000 + f}`;
    const closes = k + 1 + 2 * rand(11);
    last.set(c, { flow, closes });
    ev.push([k, `open tcp ${flow} ${VIP}`], [closes, `close tcp ${flow} ${VIP}`]);
  }
  return ev.sort((a, b) => a[0] - b[0]).map(([t, l]) => `${at(t)} ${l}`);
}

describe('the scheduler benchmark on a trace', () => {
  it('leaves in the table what a hand tally of the trace says', () => {
    const file = traceFile('tally.trace', [
      `${at(0)} open tcp 198.51.100.1:1001 ${VIP}`,
      `${at(0)} open tcp 198.51.100.2:1002 ${VIP}`,
      `${at(1)} open tcp 198.51.100.3:1003 ${VIP}`,
      `${at(1)} open tcp 198.51.100.4:1004 ${VIP}`,
      `${at(2)} open tcp 198.51.100.5:1005 ${VIP}`,
      `${at(2)} open tcp 198.51.100.6:1006 ${VIP}   # never closes`,
      `${at(5)} close tcp 198.51.100.1:1001 ${VIP}`,
      `${at(5)} close tcp 198.51.100.2:1002 ${VIP}`,
      `${at(7)} close tcp 198.51.100.3:1003 ${VIP}   # TIME_WAIT until 122.6 s, then gone`,
      `${at(400)} open tcp 198.51.100.7:1007 ${VIP}  # never closes`,
      `${at(401)} close tcp 198.51.100.4:1004 ${VIP}`,
      `${at(402)} close tcp 198.51.100.5:1005 ${VIP}  # in TIME_WAIT at the end`,
      `${at(403)} close tcp 198.51.100.9:1009 ${VIP}  # no such flow: skipped`,
      `${at(540)} open tcp 198.51.100.8:1008 192.0.2.99:80   # another service: skipped, but the trace ends here`,
    ]);
    const res = runSchedBench(resolveSchedOptions({ ...BIG, trace: file, schedulers: ['rr', 'wlc'] }));
    expect(res.workload).toContain('7 opens to tcp 192.0.2.80:80');
    for (const r of res.results) {
      expect(r).toMatchObject({ arrivals: 7, opened: 7, closed: 5, aborted: 0, dropped: 0, openAtEnd: 2, activeAtEnd: 2 });
      expect(r.tableCount).toBe(2 + 2); // two open, two in TIME_WAIT
      expect(r.tableFreed).toBe(3); // closed at ~2.6 s, gone 120 s later
      expect(r.tally.mismatches).toBe(0);
    }
    // Without queueing a response time is the traced duration; flows open at the end count
    // their time so far: the median of 1850, 1850, 2220, 51800 (open), 148000 x2, 199060 (open).
    expect(res.results[0].p50).toBeCloseTo(140 * 370, 6);
    expect(res.results[0].unfinished).toBe(2);
  });

  it('a trace sets the workload; a UDP trace works too', () => {
    const file = traceFile('mixed.trace', mixedTrace());
    const res = runSchedBench(resolveSchedOptions({ ...BIG, trace: file, schedulers: ['rr', 'wlc'] }));
    expect(res.workload).toMatch(/^trace .*mixed\.trace: 180 opens to tcp 192\.0\.2\.80:80 .*6 events skipped/);
    expect(res.results.map((r) => r.scheduler)).toEqual(['rr', 'wlc']);
    expect(res.results[1].opened).toBe(180);

    const udp = traceFile('udp.trace', [
      `${at(0)} open udp 198.51.100.1:53 192.0.2.53:53`,
      `${at(1)} open udp 198.51.100.2:53 192.0.2.53:53`,
      `${at(2)} close udp 198.51.100.1:53 192.0.2.53:53`,
      `${at(3)} open udp 198.51.100.1:53 192.0.2.53:53`,
      `${at(4)} open udp 198.51.100.3:53 192.0.2.53:53`,
    ]);
    const u = runSchedBench(resolveSchedOptions({ ...BIG, trace: udp, schedulers: ['rr', 'wlc'] }));
    for (const r of u.results) {
      expect(r).toMatchObject({ opened: 4, activeAtEnd: 0, tableCount: 3 }); // UDP conns are InActConn; the reopen reuses its entry
      expect(r.tally.mismatches).toBe(0);
    }
  });

  const cases = [
    { trace: 'mixed', lines: mixedTrace(), persistence: 0, opens: 180 },
    { trace: 'mixed', lines: mixedTrace(), persistence: 5, opens: 180 },
    { trace: 'random', lines: randomTrace(1), persistence: 0, opens: 400 },
    { trace: 'random', lines: randomTrace(2), persistence: 150, opens: 400 },
  ];
  for (const { trace, lines, persistence, opens } of cases) {
    it(`places every flow where the real Engine does (${trace} trace, persistence ${persistence})`, () => {
      const file = traceFile(`${trace}-${persistence}.trace`, lines);
      const events = parseTrace(lines.join('\n'), file);
      for (const name of implementedSchedulers()) {
        const o = resolveSchedOptions({ ...BIG, trace: file, persistence, schedulers: [name] });
        const w = loadWorkload(o);
        const bench: string[] = new Array(w.n).fill('none');
        const r = runScheduler(name, w, o, (i, srv) => (bench[i] = formatIPv4(SERVER_BASE + srv)));

        const table = buildTable({
          services: [{
            name: 'bench', protocol: 'tcp', address: w.vip, port: w.vport, fwmark: 0, scheduler: name, schedFlags: [],
            persistence, persistMask: 0xffffffff, onePacket: false,
            servers: [0, 1, 2].map((k) => ({
              name: `rs${k + 1}`, address: SERVER_BASE + k, port: 80, weight: 1, forward: 'nat' as const, upperThreshold: 0, lowerThreshold: 0,
            })),
          }],
        });
        const sim = new Simulator(table, 4096);
        const engine: string[] = [];
        let tick = TICK_MS;
        for (const ev of events) {
          const now = ev.time * 1000;
          // The daemon's tick sweeps the table about once a second, as the benchmark does.
          for (; tick < now; tick += TICK_MS) sim.engine.conns.expire(tick);
          if (ev.vip !== w.vip) continue;
          if (ev.kind === 'close') sim.close(ev, now);
          else {
            const d = sim.open(ev, now);
            engine.push(d.reason ? 'none' : formatIPv4(d.server));
          }
        }
        expect(r.arrivals, name).toBe(opens);
        expect(bench, name).toEqual(engine);
        expect(r.reused + r.decisions, name).toBeGreaterThan(0);
        expect(new Set(engine).size, `${name} uses more than one server`).toBeGreaterThanOrEqual(['dh', 'fo', 'lblc'].includes(name) || persistence ? 1 : 2);
      }
    });
  }
});
