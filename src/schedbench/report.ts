// How a scheduler benchmark reads: the table rows, the lines around them, and
// the chart, all from a SchedBenchResult.
import { formatRate, type Row } from './results.js';
import type { SchedBenchResult } from './run-bench.js';
import type { SchedRunResult } from './run-scheduler.js';
import { renderChart, type Panel } from './svg-chart.js';

function share(r: SchedRunResult, name: string): number | null {
  const ev = r.disruption.find((e) => e.name === name);
  return ev && ev.clients > 0 ? (100 * ev.moved) / ev.clients : null;
}

const pct = (v: number | null): number | string => (v === null ? '-' : Math.round(v));

export function tableRows(res: SchedBenchResult): Row[] {
  const failing = res.options.failAt !== null;
  const returning = res.options.returnAt !== null;
  return res.results.map((r) => {
    const row: Row = {
      scheduler: r.scheduler,
      'decisions/s': formatRate(r.decisionsPerSec),
      'sim arrivals/s': formatRate(r.eventsPerSec),
      'max/mean': r.maxMean,
      CV: r.cv,
      'p50 ms': Math.round(r.p50),
      'p95 ms': Math.round(r.p95),
      'p99 ms': Math.round(r.p99),
    };
    if (failing) row['moved fail %'] = pct(share(r, 'fail'));
    if (returning) row['moved return %'] = pct(share(r, 'return'));
    row['churn %'] = pct(share(r, 'baseline'));
    row.dropped = r.dropped + r.tableFull + r.busy;
    if (failing) row.aborted = r.aborted;
    return row;
  });
}

export function headerLines(res: SchedBenchResult): string[] {
  const o = res.options;
  const servers = res.servers.map((s, k) => `rs${k + 1} ${s.capacity}/s w${s.weight}`).join(', ');
  const ev = o.failAt === null ? 'no failure' :
    `rs${o.failServer + 1} leaves at ${o.failAt} s${o.returnAt === null ? '' : `, returns at ${o.returnAt} s`}`;
  const persist = o.persistence > 0 ? `, persistence ${o.persistence} s` : '';
  return [
    `tsvs bench sched: ${res.workload}`,
    `servers ${servers} (NAT)${persist}; ${ev}; seed ${o.seed}`,
  ];
}

export function footnotes(res: SchedBenchResult): string[] {
  const o = res.options;
  const problems = res.results.filter((r) => r.tally.mismatches > 0 || r.replayMismatches > 0);
  return [
    'decisions/s     the run\'s own schedule() and changed() calls replayed against a fresh scheduler (fastest pass)',
    'sim arrivals/s  arrivals simulated per wall-clock second: ConnTable, state machine, timers, queue model, all of it',
    `max/mean, CV    active connections per unit of capacity over the servers in service, every ${o.sampleEvery} s after ${o.warmup} s`,
    'p50..p99 ms     response time: the connection\'s lifetime with each server a processor-sharing queue',
    'moved %         clients whose first new connection after the event went to another server than their last',
    '                before; churn: the same at a mid-point with no event (what the scheduler moves anyway)',
    'dropped         no server (none usable, or the old entry\'s server gone); aborted: in progress on the failed server',
    ...problems.map((r) => `WARNING ${r.scheduler}: ${r.tally.first ?? ''} ${r.replayMismatches ? `${r.replayMismatches} replayed decisions differ` : ''}`),
    `${res.results.length} schedulers in ${(res.wallMs / 1000).toFixed(1)} s`,
  ];
}

export function chart(res: SchedBenchResult): string {
  const rs = res.results;
  const names = rs.map((r) => r.scheduler);
  const panels: Panel[] = [
    {
      title: 'Response time, ms (log scale)',
      log: true,
      series: [
        { name: 'p50', color: '#9ecae1', values: rs.map((r) => r.p50) },
        { name: 'p95', color: '#4292c6', values: rs.map((r) => r.p95) },
        { name: 'p99', color: '#08519c', values: rs.map((r) => r.p99) },
      ],
    },
    {
      title: 'Load imbalance: active connections per unit of capacity',
      log: false,
      series: [
        { name: 'max/mean', color: '#fd8d3c', values: rs.map((r) => r.maxMean) },
        { name: 'CV', color: '#a63603', values: rs.map((r) => r.cv) },
      ],
    },
    {
      title: 'Clients moved to another server, %',
      log: false,
      series: [
        ...(res.options.failAt !== null ? [{ name: 'server leaves', color: '#74c476', values: rs.map((r) => share(r, 'fail')) }] : []),
        ...(res.options.returnAt !== null ? [{ name: 'server returns', color: '#238b45', values: rs.map((r) => share(r, 'return')) }] : []),
        { name: 'no event (churn)', color: '#bdbdbd', values: rs.map((r) => share(r, 'baseline')) },
      ],
    },
  ];
  const [first, second] = headerLines(res);
  return renderChart(first, second, names, panels);
}
