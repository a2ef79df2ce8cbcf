// The three directors of the lab bench, each set up in a fresh LVS-NAT lab of its
// own (same topology, same real servers): tsvs, the kernel's NAT (nftables DNAT,
// the nearest thing to IPVS-NAT on a kernel without ip_vs) and HAProxy in TCP mode.
// Only the router namespace's kernel is changed; the root namespace never is.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ControlClient } from '../../src/control/client.js';
import type { Lab } from '../../src/lab/index.js';
import { ROUTER_CPU } from './cpu.js';

/** The UDP service of the bench: port 9 (discard); the real servers drop it in nftables. */
export const UDP_PORT = 9;

export interface Director {
  name: string;
  /** Whether it balances UDP (HAProxy does not). */
  udp: boolean;
  /** Commands it needs besides the lab's, and whether it needs the native addon. */
  commands: string[];
  native?: boolean;
  /** Needs the AF_XDP addon and its XDP program (tsvs --backend xdp). */
  xdp?: boolean;
  /** Why it does not run with the veths' offloads on (no bulk-on figure), or undefined when it does. */
  offloadsOff?: string;
  /** Starts it in the lab's router namespace, pinned to the router core. */
  start(lab: Lab): Promise<void>;
  /** Between runs: e.g. forget finished connections (LAB-NOTES gotcha 7). */
  reset?(lab: Lab): Promise<void>;
  /** Where it writes its counters (tsvs --stats-file, once a second), for bench/lab/losses.ts. */
  statsFile?(lab: Lab): string;
}

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
/**
 * The user-space directors run at nice -10: the kernel's NAT works in softirq, which
 * outranks every process, so on a shared machine only they would lose the router core
 * to whatever else runs there (a build, a test) and show its delays as their tail latency.
 */
const NICE = ['nice', '-n', '-10'];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Commands in the router namespace, one `sh -c`, failing loudly. */
async function router(lab: Lab, lines: string[]): Promise<void> {
  await lab.exec('router', ['sh', '-ec', lines.join('\n')], { check: true });
}

/** The router's kernel takes the VIP (eth0) and nat_router (eth1): the real servers' default route then works. */
function kernelAddresses(lab: Lab): string[] {
  return [`ip addr add ${lab.vip}/32 dev eth0`, `ip addr add ${lab.natRouter}/24 dev eth1`];
}

/** Waits (bounded) until a request through the VIP is answered by a real server. */
export async function waitServing(lab: Lab, alive: () => boolean, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (!alive()) throw new Error(`the director exited: ${log().slice(-800)}`);
    const r = await lab.exec('client', ['curl', '-s', '-m', '1', `http://${lab.vip}/`]);
    if (r.code === 0 && r.stdout.startsWith('rs')) return;
    if (Date.now() > deadline) throw new Error(`nothing served through ${lab.vip} after 15 s: ${log().slice(-800)}`);
    await sleep(200);
  }
}

/**
 * Waits (bounded) until the health checks have every real server of every service
 * serving: a server is in service only once its first check passed (nanny), and a
 * UDP check with no expect passes only when its timeout goes by with no ICMP error,
 * so the UDP service has no server for its first ~10 s. Measured before that, the
 * UDP flood was counted as drop_no_real_server.
 */
async function waitAllUp(socket: string, log: () => string): Promise<void> {
  const client = new ControlClient(socket);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const down = (await client.health()).services.flatMap((s) => s.servers.filter((r) => !r.serving).map((r) => `${s.service} ${r.address}:${r.port}`));
    if (down.length === 0) return;
    if (Date.now() > deadline) throw new Error(`real servers not in service after 30 s: ${down.join(', ')}: ${log().slice(-800)}`);
    await sleep(250);
  }
}

/** The lab's lvs.cf plus a UDP service on the same VIP, round robin like the others. */
export function tsvsConfig(cf: string, lab: Lab): string {
  const servers = lab.serverNames.map((n, k) => `    server ${n}u {\n        address = ${lab.serverAddrs[k]}\n        active = 1\n        port = ${UDP_PORT}\n        weight = 1\n    }`);
  const udp = ['', 'virtual discard {', '    active = 1', `    address = ${lab.vip} eth0:1`, `    port = ${UDP_PORT}`, '    protocol = udp', '    scheduler = rr', ...servers, '}'];
  return cf.replace(/scheduler = \w+/, 'scheduler = rr') + udp.join('\n') + '\n';
}

const tsvsStatsFile = (lab: Lab): string => join(lab.stateDir, 'stats.json');

/** tsvs on a packet backend: native (AF_PACKET) or xdp (AF_XDP). */
function tsvsOn(backend: 'native' | 'xdp'): Director {
  return {
    name: `tsvs (${backend})`,
    udp: true,
    commands: [],
    native: true,
    xdp: backend === 'xdp',
    // On veth, a sender's checksum offload leaves partial checksums that XDP cannot see (docs/afxdp.md).
    offloadsOff: backend === 'xdp' ? 'AF_XDP needs the veths\' offloads off (partial checksums)' : undefined,
    async start(lab) {
      writeFileSync(lab.configPath, tsvsConfig(readFileSync(lab.configPath, 'utf8'), lab));
      const args = ['start', '-c', lab.configPath, '--backend', backend, '--log-level', 'warn', '--control-socket', join(lab.stateDir, 'tsvs.sock'), '--stats-file', tsvsStatsFile(lab)];
      const p = lab.spawn('router', [...NICE, process.execPath, MAIN, ...args], {
        label: 'tsvs',
        cpus: String(ROUTER_CPU),
      });
      await waitServing(lab, () => p.alive(), () => p.log());
      await waitAllUp(join(lab.stateDir, 'tsvs.sock'), () => p.log());
    },
    statsFile: tsvsStatsFile,
  };
}

export const tsvs = tsvsOn('native');
export const tsvsXdp = tsvsOn('xdp');

/** nftables DNAT, round robin: `numgen inc mod N` picks the real server of each new flow. */
export function nftRuleset(lab: Lab): string {
  const map = lab.serverAddrs.map((a, k) => `${k} : ${a}`).join(', ');
  const n = lab.serverAddrs.length;
  return `table ip lvsbench {
  chain pre {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr ${lab.vip} tcp dport 80 dnat to numgen inc mod ${n} map { ${map} }
    ip daddr ${lab.vip} udp dport ${UDP_PORT} dnat to numgen inc mod ${n} map { ${map} }
  }
}
`;
}

export const kernelNat: Director = {
  name: 'kernel NAT (nftables)',
  udp: true,
  commands: ['conntrack'],
  async start(lab) {
    await router(lab, [...kernelAddresses(lab), 'sysctl -q -w net.ipv4.ip_forward=1']);
    await lab.exec('router', ['nft', '-f', '-'], { input: nftRuleset(lab), check: true });
    await waitServing(lab, () => true, () => '');
  },
  async reset(lab) {
    // TIME_WAIT entries live 120 s; thousands of them per run (LAB-NOTES gotcha 7).
    await lab.exec('router', ['conntrack', '-F'], { check: false });
  },
};

export function haproxyConfig(lab: Lab): string {
  const servers = lab.serverNames.map((n, k) => `    server ${n} ${lab.serverAddrs[k]}:80`).join('\n');
  return `# HAProxy for the tsvs lab bench: TCP mode, one thread, on the router core.
global
    nbthread 1
    maxconn 4000
    log stderr format short local0 err
defaults
    mode tcp
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend vip
    bind ${lab.vip}:80
    default_backend real
backend real
    balance roundrobin
${servers}
`;
}

export const haproxy: Director = {
  name: 'HAProxy (tcp)',
  udp: false,
  commands: ['haproxy'],
  async start(lab) {
    await router(lab, kernelAddresses(lab));
    const cfg = join(lab.stateDir, 'haproxy.cfg');
    writeFileSync(cfg, haproxyConfig(lab));
    // -db: foreground, not a daemon, so the lab records its PID and ends it by PID.
    const p = lab.spawn('router', [...NICE, 'haproxy', '-db', '-f', cfg], { label: 'haproxy', cpus: String(ROUTER_CPU) });
    await waitServing(lab, () => p.alive(), () => p.log());
  },
};

export const DIRECTORS = [kernelNat, tsvs, tsvsXdp, haproxy];

/** The real servers drop the bench's UDP before any socket (no ICMP port unreachable comes back). */
export async function udpSink(lab: Lab): Promise<void> {
  const rules = `table ip sink {\n  chain pre {\n    type filter hook prerouting priority -300; policy accept;\n    udp dport ${UDP_PORT} drop\n  }\n}\n`;
  for (const rs of lab.serverNames) await lab.exec(rs, ['nft', '-f', '-'], { input: rules, check: true });
}
