// The control benchmarks' lab (root): three namespaces of our own, nothing in the
// root namespace touched, everything deleted at the end even on failure.
//   G (generator) g0 ── mg  M (router)  ms ── s0 S (NAT real servers' side)
// The router process runs inside M (`ip netns exec`, lab-child.ts), so its worker
// data plane opens AF_PACKET sockets on M's veths and its nftables fence lands in
// M's ruleset. G answers ARP for every real server address (an AnyIP local route
// for 198.19.0.0/16 in G: DR frames come back to it and its kernel drops them, as
// it does not forward). The parent waits for the child's rows, bounded in time,
// and ends it by its PID.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNative } from '../../src/io/native.js';
import { isRoot, NetnsLab } from '../io/netns.js';
import type { Row } from '../lib/report.js';

export interface ChildArgs {
  quick: boolean;
  out: string;
  genNs: string;
  genMac: string;
  devMac: string;
}

export interface ChildResult {
  changes: Row[];
  stall: Row[];
}

/** Why the lab cannot run here, or null. */
export function labUnavailable(): string | null {
  if (!isRoot()) return 'needs root (network namespaces, AF_PACKET)';
  const n = loadNative();
  return n.addon ? null : `the worker data plane's port and the generator need the native addon (${n.reason})`;
}

export async function runInLab(quick: boolean): Promise<ChildResult> {
  const dir = mkdtempSync(join(tmpdir(), 'tsvs-control-lab-'));
  const lab = new NetnsLab();
  try {
    const g = lab.ns('g');
    const m = lab.ns('m');
    const s = lab.ns('s');
    lab.veth(g, 'g0', m, 'mg', { offloads: false });
    lab.veth(s, 's0', m, 'ms', { offloads: false });
    lab.ip(g, 'route', 'add', 'local', '198.19.0.0/16', 'dev', 'lo');
    // The router's routes decide the egress (engine/routes.ts): the DR servers are on-link through mg.
    lab.ip(m, 'route', 'add', '198.19.0.0/17', 'dev', 'mg');
    const args: ChildArgs = { quick, out: join(dir, 'rows.json'), genNs: g, genMac: lab.mac(g, 'g0'), devMac: lab.mac(m, 'mg') };
    const script = fileURLToPath(new URL('./lab-child.js', import.meta.url));
    const child = spawn('ip', ['netns', 'exec', m, process.execPath, '--expose-gc', '--max-old-space-size=4096', script, JSON.stringify(args)], { stdio: ['ignore', 'inherit', 'inherit'] });
    const limitMs = quick ? 120_000 : 1_800_000;
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        process.stderr.write(`control lab: the router process ran over ${limitMs / 1000} s; ending it\n`);
        if (child.pid) process.kill(child.pid, 'SIGKILL');
      }, limitMs);
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    if (code !== 0) throw new Error(`the lab's router process exited with ${code}`);
    return JSON.parse(readFileSync(args.out, 'utf8')) as ChildResult;
  } finally {
    lab.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}
