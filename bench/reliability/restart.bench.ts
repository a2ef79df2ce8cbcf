// Issue 15 item 12 in a namespace lab (root): the router killed with SIGKILL (the
// fence stays: the VIP is unanswered) and started again as the systemd unit does
// (Restart=always, RestartSec=200ms: here a 200 ms wait, then `tsvs start`).
// Printed per config (the lab's three servers; 1,000 services x 10,000 servers):
// the kill to "router started" again, and the kill to the first request served
// again, as a client polling the VIP every 20 ms sees it (medians and worst of
// the rounds). Nothing asserted; test/e2e/reliability.test.ts asserts that the
// new start replaces the leftover fence and serves.
import { writeFileSync } from 'node:fs';
import type { Row } from '../lib/report.js';
import { bigLvsCf } from './big-config.js';
import { bigLab, startRouter, untilServed, waitLog } from './big.bench.js';

const RESTART_SEC_MS = 200;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function rounds(big: boolean, n: number): Promise<Row[]> {
  const lab = await bigLab(`rst${big ? 'b' : 's'}${process.pid % 10000}`);
  try {
    if (big) writeFileSync(lab.configPath, bigLvsCf({ services: 1000, perService: 10, vip: lab.vip, natRouter: lab.natRouter! }));
    let router = startRouter(lab);
    await waitLog(router, 'router started', 0, 120_000);
    await untilServed(lab, 30_000);
    const started: number[] = [];
    const serving: number[] = [];
    for (let k = 0; k < n; k++) {
      await sleep(1000);
      const t0 = performance.now();
      process.kill(router.pid, 'SIGKILL');
      // Polled: the lab's children are unref()ed, and an exit event alone keeps no loop alive.
      while (router.alive()) await sleep(2);
      await sleep(RESTART_SEC_MS);
      // The new process appends to the same log file: look past what is there.
      const from = router.log().length;
      router = startRouter(lab);
      const served = untilServed(lab, 60_000);
      await waitLog(router, 'router started', from, 120_000);
      started.push(performance.now() - t0);
      await served;
      serving.push(performance.now() - t0);
    }
    await router.stop(5000);
    const config = big ? '1,000 services x 10,000 servers' : 'lab lvs.cf, 1 service x 1 server';
    return [
      { config, step: 'kill -9 to "router started" (RestartSec 200 ms included)', rounds: n, median_ms: Math.round(median(started)), worst_ms: Math.round(Math.max(...started)) },
      { config, step: 'kill -9 to the first request served again', rounds: n, median_ms: Math.round(median(serving)), worst_ms: Math.round(Math.max(...serving)) },
    ];
  } finally {
    await lab.down();
  }
}

export async function runRestartBench(o: { quick: boolean }): Promise<Row[]> {
  if (process.getuid?.() !== 0) return [{ config: 'skipped: needs root (network namespaces, AF_PACKET)', step: '', rounds: 0, median_ms: 0, worst_ms: 0 }];
  const n = o.quick ? 2 : 5;
  return [...(await rounds(false, n)), ...(o.quick ? [] : await rounds(true, n))];
}
