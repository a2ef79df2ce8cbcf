// The probe tests' testbed: two namespaces of their own, linked only to each
// other (never to the root namespace), and the probes run inside the client one
// by dist/src/health/probes/run-json.js (Node cannot enter a namespace).
//
//   client C: pc0 198.18.0.1/24 + 198.18.0.3/24, lo 198.18.1.3/32 + 198.18.1.4/32;
//             198.18.8.0/24, 198.18.9.0/24 and nothing else via S
//   server S: ps0 198.18.0.2/24, forwarding on, every server of probe-servers.mjs;
//             198.18.8.0/24 blackholed (silence), 198.18.9.0/24 unreachable (ICMP
//             host unreachable back to C), 198.18.1.0/24 via C but 198.18.1.4 blackholed
//
// Everything here needs root; down() ends the server by PID and deletes both
// namespaces, and every command is bounded in time.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ip, ipBatch, nsRun, nsSysctl, run } from '../../src/lab/netns.js';
import { endProcesses, procStartTime } from '../../src/lab/procs.js';
import type { CheckSpec, ProbeResult, ProbeTarget } from '../../src/health/types.js';

export { IS_ROOT as ROOT, ROOT_REASON } from '../lab/helpers.js';
export const HAVE_OPENSSL = spawnSync('openssl', ['version']).status === 0;
export const RUNNER = join(process.cwd(), 'dist/src/health/probes/run-json.js');
const SERVERS = join(process.cwd(), 'test/health/probe-servers.mjs');

export const SERVER = '198.18.0.2';
export const CLIENT_2ND = '198.18.0.3';
/** Routed to S, which drops it: nothing ever answers. */
export const SILENT = '198.18.8.1';
/** Routed to S, which answers ICMP host unreachable. */
export const UNREACHABLE = '198.18.9.1';

let seq = 0;

export interface Job {
  spec: CheckSpec | (Omit<Extract<CheckSpec, { kind: 'udp' }>, 'payload'> & { payload: number[] });
  target: ProbeTarget;
  timeoutMs: number;
  abortAfterMs?: number;
}

export interface RunnerOutput {
  results: ProbeResult[];
  handles: string[];
}

export class ProbeLab {
  /** What the servers reported, in order: {kind: 'tcp80' | 'host' | 'sni' | 'dns', ...}. */
  readonly events: Array<Record<string, unknown>> = [];

  constructor(
    readonly client: string,
    readonly server: string,
    private readonly dir: string,
    private serverProc: { pid: number; startTime: string | null } | null = null,
  ) {}

  /** Runs the probes at once inside C; rejects if the runner fails or does not exit by itself within `boundMs`. */
  async runAll(jobs: Job[], boundMs = 15_000): Promise<RunnerOutput> {
    const r = await nsRun(this.client, [process.execPath, RUNNER, JSON.stringify({ probes: jobs })], { timeoutMs: boundMs });
    if (r.timedOut) throw new Error(`probe runner did not exit within ${boundMs} ms (a leaked handle?): ${r.stdout}${r.stderr}`);
    if (r.code !== 0) throw new Error(`probe runner failed (${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout.trim()) as RunnerOutput;
  }

  /** Several probes at once in one runner: [spec, target, timeoutMs = 1000, abortAfterMs?] each. Throws on a leak. */
  async probes(list: Array<[Job['spec'], ProbeTarget, number?, number?]>): Promise<ProbeResult[]> {
    const jobs = list.map(([spec, target, timeoutMs = 1000, abortAfterMs]): Job => ({ spec, target, timeoutMs, ...(abortAfterMs !== undefined ? { abortAfterMs } : {}) }));
    const out = await this.runAll(jobs);
    if (out.handles.length > 0) throw new Error(`handles left open: ${out.handles.join(', ')}`);
    return out.results;
  }

  async probe(spec: Job['spec'], target: ProbeTarget, timeoutMs = 1000, abortAfterMs?: number): Promise<ProbeResult> {
    return (await this.probes([[spec, target, timeoutMs, abortAfterMs]]))[0];
  }

  /** Events of one kind seen since `from` (an index into events). */
  eventsOf(kind: string, from = 0): Array<Record<string, unknown>> {
    return this.events.slice(from).filter((e) => e.kind === kind);
  }

  async startServers(): Promise<void> {
    const cert = join(this.dir, 'cert.pem');
    const key = join(this.dir, 'key.pem');
    if (HAVE_OPENSSL) {
      const r = await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=probe.test'], { timeoutMs: 10_000 });
      if (r.code !== 0) throw new Error(`openssl: ${r.stderr}`);
    }
    const cfg = JSON.stringify({ address: SERVER, cert: HAVE_OPENSSL ? cert : null, key: HAVE_OPENSSL ? key : null });
    const child = spawn('ip', ['netns', 'exec', this.server, process.execPath, SERVERS, cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid === undefined) throw new Error('cannot start the probe servers');
    this.serverProc = { pid: child.pid, startTime: procStartTime(child.pid) };
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(() => reject(new Error(`probe servers not ready after 10 s: ${stderr}`)), 10_000);
      child.on('exit', (code) => reject(new Error(`probe servers exited (${code}): ${stderr}`)));
      child.stdout.on('data', (b: Buffer) => {
        buf += b.toString('utf8');
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line === 'ready') {
            clearTimeout(timer);
            resolve();
          } else if (line) this.events.push(JSON.parse(line) as Record<string, unknown>);
        }
      });
    });
  }

  async down(): Promise<void> {
    try {
      if (this.serverProc) await endProcesses([this.serverProc], 1000);
    } finally {
      for (const ns of [this.client, this.server]) await run('ip', ['netns', 'del', ns]);
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

export async function probeLabUp(): Promise<ProbeLab> {
  if (!existsSync(RUNNER)) throw new Error(`${RUNNER} is missing: run npm run build first`);
  seq += 1;
  const c = `tsvsprobe${process.pid}c${seq}`;
  const s = `tsvsprobe${process.pid}s${seq}`;
  const lab = new ProbeLab(c, s, mkdtempSync(join(tmpdir(), 'tsvs-probe-')));
  try {
    await ip(['netns', 'add', c]);
    await ip(['netns', 'add', s]);
    // Created inside C, its peer moved straight into S: the root namespace never holds either end.
    await ip(['link', 'add', 'pc0', 'type', 'veth', 'peer', 'name', 'ps0', 'netns', s], c);
    await ipBatch([
      'link set lo up',
      'addr add 198.18.1.3/32 dev lo',
      'addr add 198.18.1.4/32 dev lo',
      'addr add 198.18.0.1/24 dev pc0',
      `addr add ${CLIENT_2ND}/24 dev pc0`,
      'link set pc0 up',
      `route add 198.18.8.0/24 via ${SERVER}`,
      `route add 198.18.9.0/24 via ${SERVER}`,
    ], c);
    await ipBatch([
      'link set lo up',
      `addr add ${SERVER}/24 dev ps0`,
      'link set ps0 up',
      'route add blackhole 198.18.8.0/24',
      'route add unreachable 198.18.9.0/24',
      'route add 198.18.1.0/24 via 198.18.0.1',
      'route add blackhole 198.18.1.4/32',
    ], s);
    // Forwarding makes S answer for 198.18.9.0/24 with ICMP. icmp_ratemask 0 frees every
    // ICMP type from the per-host rate limit, so each test gets its port unreachable.
    // (Not icmp_ratelimit 0: that empties the per-host tokens that the host unreachable
    // of a routing error (ip_error) also draws on, and it would then not be sent.)
    await nsSysctl(s, { 'net.ipv4.ip_forward': 1, 'net.ipv4.icmp_ratemask': 0 });
    await lab.startServers();
    return lab;
  } catch (e) {
    await lab.down();
    throw e;
  }
}
