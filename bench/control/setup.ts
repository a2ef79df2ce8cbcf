// Shared set-up of the control benchmarks: an lvs.cf of one service with N real
// servers, and the real Router (router/daemon.ts) with the real ControlServer on a
// unix socket in a temp dir, reached by the real ControlClient. The data plane is
// either the real worker thread (WorkerDataPlane: root, in a namespace of the lab,
// lab-child.ts) or the same host inline with a memory port (anyone, anywhere).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlClient } from '../../src/control/client.js';
import type { ServiceSelector } from '../../src/control/types.js';
import type { LivePort } from '../../src/frames/port.js';
import { MemoryPort } from '../../src/io/memory.js';
import { loadNative } from '../../src/io/native.js';
import { formatIPv4, parseIPv4 } from '../../src/model/index.js';
import { WorkerDataPlane } from '../../src/router/dataplane-client.js';
import { InlineDataPlane, type DataPlane } from '../../src/router/dataplane.js';
import { Router } from '../../src/router/daemon.js';
import { createLogger } from '../../src/router/log.js';
import { linuxHost, type HostInfo } from '../../src/router/preflight.js';

export const VIP = '198.18.0.10';
export const VPORT = 53;
export const SERVICE: ServiceSelector = { protocol: 'udp', address: VIP, port: VPORT };
/** The NAT router address; real servers are 198.19.1.1 on, 250 per /24, all inside its /16. */
export const NAT_ROUTER = '198.19.0.1';

/** Real server i (0-based): 198.19.(1 + i / 250).(1 + i % 250). */
export function rip(i: number): string {
  return formatIPv4((parseIPv4('198.19.1.1')! + Math.floor(i / 250) * 256 + (i % 250)) >>> 0);
}

export type Forward = 'dr' | 'nat';

export interface CfOptions {
  scheduler: string;
  /** Real servers first..first+count-1 (rip()). */
  first?: number;
  count: number;
  forward: Forward;
  /** Devices: the VIP's, and (NAT) the NAT router's. */
  vipDevice: string;
  natDevice?: string;
  /** Weight of server i (default 1). */
  weight?: (i: number) => number;
}

/** An lvs.cf with one UDP service; `network` says how every server is forwarded. */
export function lvsCf(o: CfOptions): string {
  const lines = ['serial_no = 1', 'primary = 198.18.0.2', 'service = lvs', 'backup_active = 0', 'heartbeat = 0'];
  if (o.forward === 'nat') lines.push('network = nat', `nat_router = ${NAT_ROUTER} ${o.natDevice ?? 'eth1'}:0`, 'nat_nmask = 255.255.0.0');
  else lines.push('network = direct');
  lines.push('virtual dns {', '    active = 1', `    address = ${VIP} ${o.vipDevice}:1`, '    vip_nmask = 255.255.255.0', `    port = ${VPORT}`,
    '    protocol = udp', `    scheduler = ${o.scheduler}`);
  const first = o.first ?? 0;
  for (let i = first; i < first + o.count; i++) {
    lines.push(`    server rs${i} {`, `        address = ${rip(i)}`, '        active = 1', `        port = ${VPORT}`, `        weight = ${o.weight?.(i) ?? 1}`, '    }');
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

/** A memory port that can wake its owner (the inline data plane's live port). */
export class MemoryLivePort extends MemoryPort implements LivePort {
  wake: () => void = () => {};
  onReadable(cb: (() => void) | null): void {
    this.wake = cb ?? (() => {});
  }
}

const MACS: Record<string, Uint8Array> = { eth0: Uint8Array.of(2, 0, 0, 0, 0, 1), eth1: Uint8Array.of(2, 0, 0, 0, 0, 2) };

/** A host with eth0 and eth1 and root rights, for the inline router (preflight passes; nothing is touched). */
export const fakeHost: HostInfo = {
  isRoot: () => true,
  hasDevice: (d) => d in MACS,
  macOf: (d) => MACS[d] ?? null,
  kernelAddresses: () => new Map(),
};

export type DataPlaneKind = 'worker' | 'inline';

export interface BenchRouter {
  router: Router;
  client: ControlClient;
  cfg: string;
  /** The data plane the router made (its memory is shared with the worker, for the worker kind). */
  dp: DataPlane;
  /** Inline only: the memory port its host reads. */
  port: MemoryLivePort | null;
  /** What ran: data plane, port and fence, for the tables. */
  setup: string;
  /** Milliseconds Router.start() took (set-up: lvs.cf compiled, data plane started, socket up). */
  startMs: number;
  stop(): Promise<void>;
}

export interface RouterOptions {
  kind: DataPlaneKind;
  cf: string;
  /**
   * Inline: a fake host and no nft (nothing on this machine is touched). Worker: the
   * real host, nft and AF_PACKET, so only ever inside a lab namespace (lab-child.ts).
   */
  connCapacity?: number;
  /** Wraps the data plane the router makes (stall.bench.ts times apply() with it). */
  wrap?: (dp: DataPlane) => DataPlane;
}

/** Writes the lvs.cf to a temp dir and starts the router on it with its control socket there. */
export async function startRouter(o: RouterOptions): Promise<BenchRouter> {
  const dir = mkdtempSync(join(tmpdir(), 'tsvs-control-bench-'));
  const cfg = join(dir, 'lvs.cf');
  const socket = join(dir, 'tsvs.sock');
  writeFileSync(cfg, o.cf);
  const log = createLogger({ write: () => {} }); // formatted, as tsvs start's, but not written
  const made: { dp?: DataPlane; port?: MemoryLivePort } = {};
  const worker = o.kind === 'worker';
  const native = worker ? loadNative().addon : null;
  const router = new Router({
    configPath: cfg,
    log,
    host: worker ? linuxHost : fakeHost,
    backend: worker ? 'native' : 'auto',
    dataPlane: (spec) => {
      const dp = worker
        ? new WorkerDataPlane(spec, log)
        : new InlineDataPlane({ ...spec, log, openPort: () => (made.port = new MemoryLivePort()) });
      made.dp = o.wrap ? o.wrap(dp) : dp;
      return made.dp;
    },
    ...(worker ? {} : { nft: () => ({ ok: true, error: '' }) }),
    connCapacity: o.connCapacity ?? 1 << 16,
    controlSocket: socket,
    peerOf: native ? (fd) => native.peerCred(fd) : undefined,
    timers: false,
  });
  const t0 = performance.now();
  try {
    await router.start();
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const startMs = performance.now() - t0;
  return {
    router, cfg, startMs, dp: made.dp!, port: made.port ?? null,
    client: new ControlClient(socket, 600_000),
    setup: worker ? 'worker data plane, native AF_PACKET in a namespace, nft fence in it' : 'inline data plane, memory port, no nft (fence scripts built, not run)',
    async stop() {
      await router.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Percentile p (0..100) of sorted values, nearest rank. */
export function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const ms = (x: number): number => +x.toFixed(x < 10 ? 3 : 1);
