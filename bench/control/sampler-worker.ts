// The sampler's thread (sampler.ts): reads the data plane's published batch count
// and frame counters from shared memory every `periodUs` and records
// (time, batches, frames read, frames sent) until told to stop. It never writes the data
// plane's memory and sends it no message, so the data plane cannot tell it is there.
import { parentPort, workerData } from 'node:worker_threads';
import { H_BATCHES } from '../../src/engine/published.js';

export interface SamplerData {
  host: Float64Array;
  totals: Float64Array;
  /** [0]: 1 = stop; [1]: samples written; [2]: never written (what Atomics.wait sleeps on). */
  ctl: Int32Array;
  /** Four numbers per sample: ms (process.hrtime, the same clock in every thread), batches, frames read, frames sent. */
  out: Float64Array;
  periodUs: number;
}

const N_RX = 0, N_TX = 1; // Counters.n: frames read, then sent (engine/counters.ts)

const d = workerData as SamplerData;
const cap = Math.floor(d.out.length / 4);
const sleep = d.periodUs / 1000;
let n = 0;
while (Atomics.load(d.ctl, 0) === 0 && n < cap) {
  const o = 4 * n++;
  d.out[o] = Number(process.hrtime.bigint()) / 1e6;
  d.out[o + 1] = d.host[H_BATCHES];
  d.out[o + 2] = d.totals[N_RX];
  d.out[o + 3] = d.totals[N_TX];
  Atomics.store(d.ctl, 1, n);
  Atomics.wait(d.ctl, 2, 0, sleep);
}
parentPort?.postMessage('done');
