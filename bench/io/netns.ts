// A throw-away lab of network namespaces joined by veth pairs, for the io tests and
// benches. Everything lives inside namespaces named tsvs-<tag>-<pid>-<n>-<name> (tag
// "io" unless a bench names its own): the root namespace's addresses, routes and
// links are never touched (veths are created directly in their namespaces).
// cleanup() kills the processes started in them and deletes them; it also runs at
// process exit in case a caller forgets.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

let labs = 0;
const live = new Set<NetnsLab>();
process.once('exit', () => {
  for (const lab of live) lab.cleanup();
});

/** Offload features of `ethtool -K` (LAB-NOTES gotcha 1). */
export const OFFLOADS = ['tso', 'gso', 'gro', 'tx', 'rx'] as const;

export class NetnsLab {
  readonly prefix: string;
  private readonly names: string[] = [];
  private readonly children: ChildProcess[] = [];

  constructor(tag = 'io') {
    this.prefix = `tsvs-${tag}-${process.pid}-${labs++}`;
    live.add(this);
  }

  /** Creates namespace `<prefix>-<name>` with IPv6 off (no ND/MLD chatter) and lo up; returns its full name. */
  ns(name: string): string {
    const full = `${this.prefix}-${name}`;
    run('ip', ['netns', 'add', full]);
    this.names.push(full);
    this.sysctl(full, {
      'net.ipv6.conf.all.disable_ipv6': 1,
      'net.ipv6.conf.default.disable_ipv6': 1,
      'net.ipv4.conf.all.rp_filter': 0,
      'net.ipv4.conf.default.rp_filter': 0,
    });
    this.ip(full, 'link', 'set', 'dev', 'lo', 'up');
    return full;
  }

  sysctl(ns: string, values: Record<string, number | string>): void {
    this.exec(ns, 'sysctl', '-q', '-w', ...Object.entries(values).map(([k, v]) => `${k}=${v}`));
  }

  /** A veth pair nsA:ifA <-> nsB:ifB, up; offloads left at veth defaults unless `offloads` is false. */
  veth(nsA: string, ifA: string, nsB: string, ifB: string, opts: { offloads?: boolean } = {}): void {
    run('ip', ['link', 'add', ifA, 'netns', nsA, 'type', 'veth', 'peer', 'name', ifB, 'netns', nsB]);
    if (opts.offloads === false) {
      this.offloads(nsA, ifA, false);
      this.offloads(nsB, ifB, false);
    }
    this.ip(nsA, 'link', 'set', 'dev', ifA, 'up');
    this.ip(nsB, 'link', 'set', 'dev', ifB, 'up');
  }

  offloads(ns: string, dev: string, on: boolean): void {
    this.exec(ns, 'ethtool', '-K', dev, ...OFFLOADS.flatMap((f) => [f, on ? 'on' : 'off']));
  }

  /** `ip -n NS ...` */
  ip(ns: string, ...args: string[]): string {
    return run('ip', ['-n', ns, ...args]);
  }

  /** `ip netns exec NS cmd args...`, synchronously; returns stdout. */
  exec(ns: string, cmd: string, ...args: string[]): string {
    return run('ip', ['netns', 'exec', ns, cmd, ...args]);
  }

  /** Starts a process in `ns`; it is killed by cleanup(). */
  spawn(ns: string, cmd: string, args: string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.push(child);
    return child;
  }

  mac(ns: string, dev: string): string {
    const m = /link\/ether ([0-9a-f:]{17})/.exec(this.ip(ns, 'link', 'show', 'dev', dev));
    if (!m) throw new Error(`no MAC for ${dev} in ${ns}`);
    return m[1];
  }

  /** Received packets counter of `dev` (from `ip -s`). */
  rxPackets(ns: string, dev: string): number {
    const j = JSON.parse(this.ip(ns, '-j', '-s', 'link', 'show', 'dev', dev)) as Array<{ stats64: { rx: { packets: number } } }>;
    return j[0].stats64.rx.packets;
  }

  /** Kills what was started in the namespaces (by PID), then deletes them. Safe to call twice. */
  cleanup(): void {
    for (const c of this.children) if (c.exitCode === null && c.pid) tryKill(c.pid);
    for (const ns of this.names) {
      // `ip netns exec` children may have forked: kill whatever still runs in the namespace (gotcha 10).
      try {
        for (const pid of run('ip', ['netns', 'pids', ns]).split(/\s+/).filter(Boolean)) tryKill(Number(pid));
      } catch {
        /* namespace already gone */
      }
      try {
        run('ip', ['netns', 'del', ns]);
      } catch {
        /* already gone */
      }
    }
    this.names.length = 0;
    this.children.length = 0;
    live.delete(this);
  }
}

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
}

function tryKill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already exited */
  }
}

export const isRoot = (): boolean => process.getuid?.() === 0;
