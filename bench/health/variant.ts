// One configuration of the monitor alone in the router's namespace (child.ts runs
// it in a process of its own, as the router's control plane would run it): after
// a warm-up, a steady window with every server up, then 10 servers failing at
// once, then a tenth of them (the outage where maxConcurrent matters: every failed
// round holds a slot for the whole connect timeout).
import type { Row } from '../lib/report.js';
import { CONNECT_TIMEOUT_S, INTERVAL_S, responderAddresses, type CheckKind } from './checks.js';
import { MonitorUnderTest, pcts, type Detection, type Pcts } from './monitor-run.js';

const sleep = (t: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, t));

export interface VariantArgs {
  kind: CheckKind;
  maxConcurrent?: number;
  /** Responders 0 .. servers-1 (checks.ts's responderAddress). */
  servers: number;
  quick: boolean;
  responders: { ns: string; pid: number };
}

export interface VariantRows {
  steady: Row;
  detection: Row[];
}

/** "p50 / p90 / p99 / max"; none: no sample (e.g. no server began a second round in the window). */
export const four = (p: Pcts): string => (p.n === 0 ? 'none' : `${p.p50} / ${p.p90} / ${p.p99} / ${p.max}`);
export const two = (p: Pcts): string => (p.n === 0 ? 'none' : `${p.p50} / ${p.p99}`);
export const bound = (m: number | undefined): string => (m === undefined ? 'default' : String(m));

export async function runVariant(a: VariantArgs): Promise<VariantRows> {
  const n = a.servers;
  const mut = new MonitorUnderTest({ addresses: responderAddresses(n), kind: a.kind, maxConcurrent: a.maxConcurrent, responders: a.responders });
  const who = { check: a.kind, servers: n, maxConcurrent: bound(a.maxConcurrent) };
  mut.start();
  try {
    // First rounds are spread over 1 s (monitor.ts's jitter); two intervals more settle the JIT and the sockets.
    await sleep(a.quick ? 2500 : 6000);
    const s = await mut.steady(a.quick ? 4000 : 20_000);
    const steady: Row = {
      ...who, 'window s': s.seconds, 'rounds/s': Math.round(s.rounds / s.seconds), 'wanted rounds/s': Math.round(n / INTERVAL_S), 'failed rounds': s.roundsFailed,
      'CPU % of a core': s.cpuPct, 'user / sys %': `${s.userPct} / ${s.sysPct}`, 'main thread %': s.mainThreadPct, 'main waited for CPU %': s.mainWaitPct,
      'attempt ms p50/p90/p99/max': four(s.attempt), 'late ms p50/p90/p99/max': four(s.late), 'loop delay ms p50/p90/p99/max': four(s.loopDelay),
      'in flight max': s.inFlightMax, 'waiting max': s.waitingMax, 'TIME_WAIT': s.timeWait, 'responders CPU %': s.respondersPct,
      ...(s.roundsFailed ? { failures: s.failures } : {}),
    };
    const boundMs = (INTERVAL_S + CONNECT_TIMEOUT_S) * 1000;
    const detection: Row[] = [];
    for (const k of [10, Math.round(n / 10)]) detection.push(detectionRow(who, await mut.failure(k, boundMs)));
    return { steady, detection };
  } finally {
    await mut.stop();
  }
}

function detectionRow(who: Row, d: Detection): Row {
  const down = pcts(d.down.map((s) => s * 1000));
  const up = pcts(d.up.map((s) => s * 1000));
  const s = (x: number): number => +(x / 1000).toFixed(2);
  return {
    ...who, 'servers failed': d.failed, detected: `${d.down.length}/${d.failed}`,
    'down p50 s': s(down.p50), 'down max s': s(down.max), 'bound s': INTERVAL_S + CONNECT_TIMEOUT_S,
    'back up p50 / max s': `${s(up.p50)} / ${s(up.max)} (${d.up.length}/${d.failed})`,
    'others late ms p50/p90/p99/max': four(d.othersLate), 'in flight max': d.inFlightMax, 'waiting max': d.waitingMax,
    'false downs': d.falseDowns, 'delete ms': Math.round(d.deleteMs), 'failed attempts': d.failures,
  };
}
