// The bench's load, generated in the client namespace on the other core:
// HTTP with wrk (new connection per request, keep-alive, 1 MiB GETs), and 64-byte
// UDP frames with bench/io's generator. Every generator stops at a time limit and
// at a count, and is killed by a timeout a little later if it does not.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab } from '../../src/lab/index.js';
import { buildUdp, ipv4Addr } from '../../src/packet/build.js';
import { startGenerator } from '../io/generator.js';
import { OTHER_CPU } from './cpu.js';
import { UDP_PORT } from './directors.js';

export type Test = 'new-conn' | 'keep-alive' | 'bulk' | 'udp';

export interface LoadRun {
  /** Operations done: requests, or UDP packets that reached the real servers. */
  ops: number;
  seconds: number;
  bytes: number;
  errors: number;
  /** UDP only: frames sent by the generator. */
  sent?: number;
  /** HTTP only: request latency percentiles from wrk, in ms. */
  p50?: number;
  p90?: number;
  p99?: number;
}

export const BULK_BYTES = 1 << 20;

const URLS: Record<Exclude<Test, 'udp'>, string> = { 'new-conn': '/', 'keep-alive': '/', bulk: `/bytes?n=${BULK_BYTES}` };
const CONNECTIONS: Record<Exclude<Test, 'udp'>, number> = { 'new-conn': 32, 'keep-alive': 32, bulk: 4 };
/** A request-count bound per wrk thread, far above what a few seconds reach here. */
const MAX_REQUESTS = 5_000_000;

// wrk's Lua hooks: stop at MAX requests, print the summary as one JSON line.
const WRK_LUA = `
local n, max = 0, tonumber(os.getenv("WRK_MAX"))
response = function(status, headers, body)
  n = n + 1
  if n >= max then wrk.thread:stop() end
end
done = function(s, latency, requests)
  local e = s.errors
  io.write(string.format('{"requests":%d,"us":%d,"bytes":%d,"errors":%d,"p50":%d,"p90":%d,"p99":%d}\\n',
    s.requests, s.duration, s.bytes, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
`;

/** One wrk run of `seconds` against the VIP. */
export async function runWrk(lab: Lab, test: Exclude<Test, 'udp'>, seconds: number): Promise<LoadRun> {
  const script = join(lab.stateDir, 'bench.lua');
  writeFileSync(script, WRK_LUA);
  const close = test === 'new-conn' ? ['-H', 'Connection: close'] : [];
  const c = CONNECTIONS[test];
  const cmd = ['env', `WRK_MAX=${MAX_REQUESTS}`, 'taskset', '-c', String(OTHER_CPU), 'wrk', '-t1', `-c${c}`, `-d${seconds}s`, '--timeout', '3s', '-s', script, ...close, `http://${lab.vip}${URLS[test]}`];
  const r = await lab.exec('client', cmd, { timeoutMs: (seconds + 20) * 1000 });
  const line = r.stdout.split('\n').find((l) => l.startsWith('{'));
  if (r.code !== 0 || !line) throw new Error(`wrk ${test}: ${r.timedOut ? 'timed out' : `exit ${r.code}`}: ${(r.stderr || r.stdout).trim().slice(-400)}`);
  const j = JSON.parse(line) as { requests: number; us: number; bytes: number; errors: number; p50: number; p90: number; p99: number };
  return { ops: j.requests, seconds: j.us / 1e6, bytes: j.bytes, errors: j.errors, p50: j.p50 / 1000, p90: j.p90 / 1000, p99: j.p99 / 1000 };
}

async function rxPackets(lab: Lab): Promise<number> {
  let sum = 0;
  for (const rs of lab.serverNames) {
    const r = await lab.exec(rs, ['cat', '/sys/class/net/eth0/statistics/rx_packets'], { check: true });
    sum += Number(r.stdout.trim());
  }
  return sum;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * 64-byte frames (60 B + FCS) from the client to VIP:9 as fast as one core sends
 * them, for `seconds` or 3 M/s worth; counts what reached the real servers.
 */
export async function runUdp(lab: Lab, seconds: number): Promise<LoadRun> {
  const mac = async (role: string): Promise<string> => (await lab.exec(role, ['cat', '/sys/class/net/eth0/address'], { check: true })).stdout.trim();
  const frame = buildUdp({
    srcMac: await mac('client'), dstMac: await mac('router'),
    src: ipv4Addr(lab.clientAddr), dst: ipv4Addr(lab.vip), sport: 4000, dport: UDP_PORT, payload: new Uint8Array(18),
  });
  const before = await rxPackets(lab);
  const gen = startGenerator(lab.ns('client'), 'eth0', frame, seconds, Math.round(seconds * 3e6), join(lab.stateDir, 'udp-gen.json'));
  try {
    const deadline = Date.now() + (seconds + 10) * 1000;
    let res = gen.result();
    while (!res) {
      if (Date.now() > deadline) throw new Error('the UDP generator did not finish');
      await sleep(50);
      res = gen.result();
    }
    await sleep(300); // the last frames still crossing the router
    const got = (await rxPackets(lab)) - before;
    return { ops: got, seconds: res.seconds, bytes: got * 64, errors: Math.max(0, res.sent - got), sent: res.sent };
  } finally {
    if (gen.child.exitCode === null) gen.child.kill('SIGKILL');
  }
}
