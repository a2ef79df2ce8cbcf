// A test and debugging entry, not part of the `tsvs` command: runs probes given
// as JSON and prints their results as one JSON line. Node cannot enter a network
// namespace, so the tests run this inside theirs:
//
//   ip netns exec NS node dist/src/health/probes/run-json.js \
//     '{"probes":[{"spec":{"kind":"tcp","port":null},"target":{"address":"198.18.0.2","port":80},"timeoutMs":1000}]}'
//
// prints {"results":[ProbeResult...],"handles":[...]}: the probes run at once,
// and `handles` lists what is still open once all have answered (it must be
// empty). The process then exits by itself, so a leaked socket, timer or child
// shows as a hang that the caller's own timeout catches. A udp spec's payload is
// given as an array of byte values; abortAfterMs aborts a probe through its signal.
import type { CheckSpec, ProbeTarget } from '../types.js';
import { runProbe } from './index.js';
import { closeHalfOpen } from './tcp.js';

interface Job {
  spec: CheckSpec & { payload?: number[] | Uint8Array };
  target: ProbeTarget;
  timeoutMs: number;
  abortAfterMs?: number;
}

function run(job: Job) {
  const spec = job.spec.kind === 'udp' ? { ...job.spec, payload: Uint8Array.from(job.spec.payload as number[]) } : job.spec;
  if (job.abortAfterMs === undefined) return runProbe(spec, job.target, job.timeoutMs);
  const ac = new AbortController();
  const t = setTimeout(() => ac.abort(), job.abortAfterMs);
  return runProbe(spec, job.target, job.timeoutMs, ac.signal).finally(() => clearTimeout(t));
}

/** What is open beyond what was open before the first probe. */
function leftOpen(before: string[]): string[] {
  const left = [...before];
  return process.getActiveResourcesInfo().filter((h) => {
    const i = left.indexOf(h);
    if (i < 0) return true;
    left.splice(i, 1);
    return false;
  });
}

// Both are created on first use, stderr even by node:net itself (Socket._destroy
// compares with it): open them before the baseline so they do not count.
const out = process.stdout;
void process.stderr;
const before = process.getActiveResourcesInfo();
const input = JSON.parse(process.argv[2] ?? '{"probes":[]}') as { probes: Job[] };
const results = await Promise.all(input.probes.map(run));
// The half-open checks' shared raw socket lives as long as its process: close it as a monitor does when it stops.
await closeHalfOpen();
// Handles close asynchronously (a TLS socket over several turns of the loop):
// look again for a while before calling what is left a leak.
for (let turn = 0; turn < 50 && leftOpen(before).length > 0; turn++) await new Promise((r) => setImmediate(r));
out.write(JSON.stringify({ results, handles: leftOpen(before) }) + '\n');
