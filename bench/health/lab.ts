// The health bench's lab (root): namespaces of our own, linked only to each other,
// nothing in the root namespace touched, everything deleted at the end (cleanup(),
// also on Ctrl-C: health.bench.ts).
//
//   R (responders)  r0 198.19.255.253/30 ── mr 198.19.255.254/30  M (router: the checker)
//   198.19.128.1 .. on lo (one /32 each)       198.19.128.0/17 via 198.19.255.253
//   responder.js on 0.0.0.0:80 and :8080
//   G (generator)   g0 ── mg  M                (the data plane part only, as bench/control/lab.ts)
//
// The monitor runs in M, where the router's control plane runs, in a process of
// its own (the monitor part) or in the router's process (the data plane part).
// One gateway route, not a connected /17: M keeps one ARP entry instead of one per
// server (the neighbour table's gc_thresh3, 1024 by default, is shared by every
// namespace and must not be raised from here). R does not forward, so a deleted
// address is silently dropped there: a failed server is a timeout, the slow case.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runOk } from '../../src/lab/netns.js';
import type { NetnsLab } from '../io/netns.js';
import { responderAddresses } from './checks.js';

export const CHECKER_ADDRESS = '198.19.255.254';
const GATEWAY = '198.19.255.253';
const RESPONDER_NET = '198.19.128.0/17';

export interface HealthLab {
  lab: NetnsLab;
  /** The router's namespace, where the checks run; its device towards R is `mr`. */
  checker: string;
  responders: string;
  responderPid: number;
  /** The generator's namespace and MACs (g0 <-> mg), when the data plane part runs. */
  gen: { ns: string; mac: string; devMac: string } | null;
}

/** `address add|del A/32 dev lo` for each address, in one `ip -n NS -batch -`; resolves with the ms it took. */
export async function addressBatch(ns: string, op: 'add' | 'del', addresses: string[]): Promise<number> {
  const t0 = performance.now();
  const input = addresses.map((a) => `address ${op} ${a}/32 dev lo`).join('\n') + '\n';
  await runOk(`ip -n ${ns} -batch (${addresses.length} x address ${op})`, 'ip', ['-n', ns, '-batch', '-'], { input, timeoutMs: 60_000 });
  return performance.now() - t0;
}

/**
 * Builds the lab in `lab` for `servers` responders; `generator`: also G for the
 * flood. `maxSeconds` bounds the responder process's life whatever happens to us.
 * On failure, what was built is deleted.
 */
export async function buildLab(lab: NetnsLab, servers: number, generator: boolean, maxSeconds: number): Promise<HealthLab> {
  try {
    const m = lab.ns('router');
    const r = lab.ns('resp');
    lab.veth(m, 'mr', r, 'r0');
    lab.ip(m, 'addr', 'add', `${CHECKER_ADDRESS}/30`, 'dev', 'mr');
    lab.ip(r, 'addr', 'add', `${GATEWAY}/30`, 'dev', 'r0');
    lab.ip(m, 'route', 'add', RESPONDER_NET, 'via', GATEWAY);
    const tw = Math.max(262_144, servers * 60); // 2 x (servers / 2 s connects a second x 60 s of TIME_WAIT)
    lab.sysctl(m, {
      // Each check's port stays in TIME_WAIT for 60 s when the checker closed first:
      // 5,000 connects a second leave up to 300,000 of them. Past tcp_max_tw_buckets
      // the kernel drops the state and logs "time wait bucket table overflow" into the
      // host's shared kernel log, so room for twice that.
      'net.ipv4.tcp_max_tw_buckets': tw,
      // connect() searches the range for a port free towards that server: a wide
      // range keeps the search short with that many ports in TIME_WAIT.
      'net.ipv4.ip_local_port_range': '1024 65535',
      // And may take a port whose TIME_WAIT towards the same server is over 1 s old
      // rather than fail with EADDRNOTAVAIL (LAB-NOTES gotcha 8).
      'net.ipv4.tcp_tw_reuse': 1,
    });
    lab.sysctl(r, {
      // One Node process accepts every connection: a GC pause or a CPU taken by the
      // flood must not overflow the accept or SYN queue (a dropped SYN is a check
      // that fails for the responder's sake, not the checker's).
      'net.core.somaxconn': 65535,
      'net.ipv4.tcp_max_syn_backlog': 65535,
      // When the responder closed first, the TIME_WAIT sockets are here.
      'net.ipv4.tcp_max_tw_buckets': tw,
      // A deleted server's packets are dropped without an ICMP error (the default; said, as it makes failures timeouts).
      'net.ipv4.ip_forward': 0,
    });
    await addressBatch(r, 'add', responderAddresses(servers));
    const responderPid = await startResponder(lab, r, maxSeconds);
    let gen: HealthLab['gen'] = null;
    if (generator) {
      const g = lab.ns('gen');
      lab.veth(g, 'g0', m, 'mg', { offloads: false });
      // G answers ARP for every real server of the data plane's table (bench/control/lab.ts).
      lab.ip(g, 'route', 'add', 'local', '198.19.0.0/16', 'dev', 'lo');
      // The router's routes decide the egress: the data plane's DR servers (198.19.1.1 on) are on-link through mg.
      lab.ip(m, 'route', 'add', '198.19.0.0/17', 'dev', 'mg');
      gen = { ns: g, mac: lab.mac(g, 'g0'), devMac: lab.mac(m, 'mg') };
    }
    return { lab, checker: m, responders: r, responderPid, gen };
  } catch (e) {
    lab.cleanup();
    throw e;
  }
}

/**
 * The compiled script `name` of this folder, for `node` in a namespace: next to
 * this module when it runs compiled, from dist/ when vitest runs the sources
 * (`npm test` compiles first).
 */
export function compiled(name: string): string {
  const here = fileURLToPath(import.meta.url);
  return here.endsWith('.js') ? join(dirname(here), name) : join(dirname(here), '../../dist/bench/health', name);
}

/** Starts responder.js in R and waits (at most 10 s) for its "ready". */
async function startResponder(lab: NetnsLab, ns: string, maxSeconds: number): Promise<number> {
  const child = lab.spawn(ns, process.execPath, [compiled('responder.js'), String(maxSeconds)]);
  child.stderr?.on('data', (b: Buffer) => process.stderr.write(b));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the responder did not get ready within 10 s')), 10_000);
    let out = '';
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the responder exited with ${code} before it was ready`));
    });
  });
  if (!child.pid) throw new Error('the responder has no PID');
  return child.pid;
}

/** Runs `script` (a compiled bench file) in namespace `ns` with `args` as JSON; resolves with its exit code; killed by PID after `limitMs`. */
export function runChild(ns: string, script: string, args: unknown, limitMs: number): Promise<number | null> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '--expose-gc', '--max-old-space-size=4096', script, JSON.stringify(args)], { stdio: ['ignore', 'inherit', 'inherit'] });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      process.stderr.write(`health bench: ${script} ran over ${limitMs / 1000} s; ending it\n`);
      if (child.pid) process.kill(child.pid, 'SIGKILL');
    }, limitMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}
