// Fragmented UDP through the router, end to end: a UDP service whose real servers
// answer every datagram with 4096 bytes (three IP fragments on the lab's 1500-byte
// links), asked with 3000-byte requests (fragmented too). In NAT the client's
// fragments go to the chosen server and the server's fragments come back
// translated; in DR the client's fragments go to the server's MAC and it answers
// directly. With the client's side narrower than the servers' (1280 bytes) the
// router cuts the servers' fragments again, as the kernel's ip_fragment does. Root
// only; every lab is taken down even on failure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../../src/lab/index.js';
import { loadNative } from '../../src/io/native.js';
import { ROOT, sleep, stats, upWithRouter, type Running } from './harness.js';

const PORT = 7000;
const ANSWER = 4096;
const REQUEST = 3000;
const nativeBuilt = loadNative().addon !== null;

/**
 * Each server answers "<name> <request length> <request byte sum>\n" padded with a pattern to 4096 bytes;
 * bounded in count and time. In DR it listens on the VIP (so that its answers come
 * from the VIP) and on its own address (the health checks').
 */
const SERVER = `const [name, port, ...addrs] = process.argv.slice(1);
let n = 0;
setTimeout(() => process.exit(0), 300000).unref();
for (const a of addrs.length ? addrs : ['0.0.0.0']) {
const s = require('node:dgram').createSocket('udp4');
s.on('message', (m, from) => {
  let sum = 0;
  for (const b of m) sum = (sum + b) >>> 0;
  const out = Buffer.alloc(${ANSWER});
  for (let k = 0; k < out.length; k++) out[k] = (k * 31 + 7) & 255;
  Buffer.from(name + ' ' + m.length + ' ' + sum + '\\n').copy(out);
  s.send(out, from.port, from.address);
  if (++n >= 500) setTimeout(() => process.exit(0), 100);
});
s.bind(Number(port), a);
}`;

/** Sends `count` requests of REQUEST bytes, each from a new socket (a new connection), waits for each answer; prints one JSON line per answer. */
const CLIENT = `const [vip, port, count] = process.argv.slice(1);
const dgram = require('node:dgram');
const req = Buffer.alloc(${REQUEST});
for (let k = 0; k < req.length; k++) req[k] = (k * 13 + 1) & 255;
let sum = 0;
for (const b of req) sum = (sum + b) >>> 0;
async function one() {
  const s = dgram.createSocket('udp4');
  try {
    return await new Promise((resolve) => {
      const t = setTimeout(() => resolve({ error: 'no answer within 3 s' }), 3000);
      s.on('message', (m, rinfo) => {
        clearTimeout(t);
        const nl = m.indexOf(10);
        const [name, len, got] = m.subarray(0, nl).toString().split(' ');
        let pattern = true;
        for (let k = nl + 1; k < m.length; k++) if (m[k] !== ((k * 31 + 7) & 255)) pattern = false;
        resolve({ name, from: rinfo.address, bytes: m.length, requestIntact: Number(len) === req.length && Number(got) === sum, pattern });
      });
      s.send(req, Number(port), vip);
    });
  } finally { s.close(); }
}
(async () => { for (let i = 0; i < Number(count); i++) console.log(JSON.stringify(await one())); })();`;

interface Answer { name?: string; from?: string; bytes?: number; requestIntact?: boolean; pattern?: boolean; error?: string }

/** Adds a UDP virtual server on PORT with the lab's servers, read from its lvs.cf (the http one stays for upWithRouter's readiness check). */
function addUdpService(cf: string): string {
  const vip = /address = (\S+) eth0:1/.exec(cf)![1];
  const addrs = [...cf.matchAll(/server rs\d+ \{\s*address = (\S+)/g)].map((m) => m[1]);
  const servers = addrs.map((a, k) => `    server u${k + 1} {\n        address = ${a}\n        active = 1\n        port = ${PORT}\n        weight = 1\n    }`);
  return `${cf}\nvirtual bigudp {\n    active = 1\n    address = ${vip} eth0:1\n    port = ${PORT}\n    scheduler = rr\n    protocol = udp\n    timeout = 6\n    reentry = 15\n${servers.join('\n')}\n}\n`;
}

async function ask(lab: Lab, count: number): Promise<Answer[]> {
  const r = await lab.exec('client', [process.execPath, '-e', CLIENT, lab.vip, String(PORT), String(count)], { timeoutMs: 60_000 });
  return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Answer);
}

/** Waits (at most 20 s) until the UDP service lists every lab server. */
async function udpServersIn(r: Running): Promise<void> {
  for (let k = 0; k < 200; k++) {
    try {
      const svc = stats(r.statsPath).services.find((s) => s.service.endsWith(`:${PORT}`));
      if (svc && svc.dests.length === r.lab.serverAddrs.length) return;
    } catch {
      // not written yet
    }
    await sleep(100);
  }
  throw new Error(`UDP service not complete within 20 s: ${r.router.log().slice(-1500)}`);
}

const fragmentDrops = (r: Running): Record<string, number> =>
  Object.fromEntries(Object.entries(stats(r.statsPath).counters).filter(([k]) => k.startsWith('drop_fragment')));

/** The client's link and the router's client-side device at 1280 bytes: the servers' 1500-byte fragments are too big for it. */
async function narrowClientSide(lab: Lab): Promise<void> {
  await lab.exec('client', ['ip', 'link', 'set', 'eth0', 'mtu', '1280'], { check: true });
  await lab.exec('router', ['ip', 'link', 'set', 'eth0', 'mtu', '1280'], { check: true });
}

const CASES = [
  { mode: 'nat' as const, title: 'LVS-NAT' },
  { mode: 'dr' as const, title: 'LVS-DR' },
  // The router fragments again (ip_fragment of a fragment): offsets carried on, MF kept on all but the datagram's last.
  { mode: 'nat' as const, title: 'LVS-NAT, the client side 1280 bytes: the router fragments the answers\' fragments', beforeStart: narrowClientSide },
];

for (const { mode, title, beforeStart } of CASES) {
  const run = ROOT && nativeBuilt ? describe : describe.skip;
  const why = !ROOT ? ' (skipped: needs root for network namespaces)' : nativeBuilt ? '' : ' (skipped: the native addon is not built)';
  run(`fragmented UDP through the router, ${title}${why}`, () => {
    let r: Running | undefined;
    beforeAll(async () => {
      r = await upWithRouter({ mode, backend: 'native', edit: addUdpService, beforeStart });
      try {
        const lab = r.lab;
        lab.serverAddrs.forEach((addr, k) => {
          const binds = mode === 'dr' ? [lab.vip, addr] : [];
          lab.spawn(`rs${k + 1}`, [process.execPath, '-e', SERVER, `rs${k + 1}`, String(PORT), ...binds], { label: `udp-rs${k + 1}` });
        });
        await udpServersIn(r);
      } catch (e) {
        await r.lab.down();
        r = undefined;
        throw e;
      }
    }, 90_000);
    afterAll(async () => {
      await r?.lab.down();
    }, 60_000);

    it('3000-byte requests arrive whole and 4096-byte answers come back whole, from every server', async () => {
      const answers = await ask(r!.lab, 9);
      const vip = r!.lab.vip;
      expect(answers.map((a) => [a.from, a.bytes, a.requestIntact, a.pattern, a.error])).toEqual(Array(9).fill([vip, ANSWER, true, true, undefined]));
      const names = answers.map((a) => a.name).sort();
      expect(names).toEqual(['rs1', 'rs1', 'rs1', 'rs2', 'rs2', 'rs2', 'rs3', 'rs3', 'rs3']);
      await sleep(1300); // the stats file is rewritten every second
      expect(Object.values(fragmentDrops(r!)).every((v) => v === 0)).toBe(true);
      const c = stats(r!.statsPath).counters;
      // 9 answers, each with two 1500-byte fragments cut in two for the 1280-byte side.
      if (beforeStart) expect([c.datagrams_fragmented, c.fragments_sent]).toEqual([18, 36]);
      else expect(c.datagrams_fragmented ?? 0).toBe(0);
    }, 90_000);
  });
}
