// tsvs start -c lvs.cf: the router in the foreground. SIGTERM/SIGINT stop it
// cleanly (fence removed, socket gone), SIGHUP reloads lvs.cf (a bad file is
// reported and the running table stays). Start-up problems are one line each,
// exit status 1; so is a data plane that dies (systemd then restarts the router).
import { Estimator } from '../control/estimator.js';
import { DEFAULT_SOCKET } from '../control/types.js';
import { runProbe } from '../health/probes/index.js';
import { loadXdp, XdpSteering } from '../io/afxdp.js';
import { loadNative } from '../io/native.js';
import { WorkerDataPlane } from '../router/dataplane-client.js';
import { InlineDataPlane } from '../router/dataplane.js';
import { MultiDataPlane } from '../router/dataplane-multi.js';
import { availableParallelism } from 'node:os';
import { Router, StartError } from '../router/daemon.js';
import { createLogger, stderrIsJournal, type Level } from '../router/log.js';
import { openLivePort, type Backend } from '../router/ports.js';
import { linuxHost } from '../router/preflight.js';
import type { OptionSpecs, Values } from './options.js';
import { defineCommand } from './registry.js';

/** Piranha's default lvs.cf (pulse and lvsd read it unless told otherwise). */
export const DEFAULT_CONFIG = '/etc/sysconfig/ha/lvs.cf';

const START_OPTIONS = {
  config: { type: 'string', short: 'c', arg: 'FILE', default: DEFAULT_CONFIG, help: 'the lvs.cf to serve' },
  backend: { type: 'enum', choices: ['auto', 'native', 'pcap', 'xdp'], default: 'auto', help: 'packet I/O: native (the AF_PACKET ring), pcap, xdp (AF_XDP: an XDP program steers the router\'s flows to XSK sockets; exits 1 saying why when it cannot), or auto: native when built and usable, else pcap' },
  'log-level': { type: 'enum', choices: ['debug', 'info', 'warn', 'error'], default: 'info', help: 'least severe log line printed' },
  'log-json': { type: 'boolean', help: 'log lines as JSON' },
  'stats-file': { type: 'string', arg: 'PATH', help: 'write a JSON snapshot of the counters there every second' },
  'conn-capacity': { type: 'number', integer: true, min: 1, max: 2 ** 28, arg: 'N', help: 'connection table slots (overrides lvs.cf\'s conn_capacity)' },
  'control-socket': { type: 'string', arg: 'PATH', default: DEFAULT_SOCKET, help: 'the control API\'s unix socket (tsvs admin, tsvs top)' },
  'no-control': { type: 'boolean', help: 'run without the control API' },
  'no-health-checks': { type: 'boolean', help: "run no health checks (every real server stays in as configured; lvs.cf's checks = none, for all)" },
  metrics: { type: 'string', arg: 'ADDR', help: 'serve Prometheus metrics on ADDR (host:port; a port alone listens on 127.0.0.1)' },
  forceactive: { type: 'boolean', help: 'with a backup router (lvs.cf backup_active = 1): become active at once, whatever the partner says (pulse --forceactive)' },
  workers: { type: 'number', integer: true, min: 1, max: 1024, arg: 'N', default: 1, help: 'data-plane worker threads, each with its own AF_PACKET rings in a fanout group (1 to the number of cores; native backend)' },
  dataplane: { type: 'enum', choices: ['worker', 'inline'], default: 'worker', help: 'run the data plane in its own thread (worker) or in the main one (inline)' },
} as const satisfies OptionSpecs;

export const startCommand = defineCommand({
  name: 'start',
  summary: 'run the router in the foreground (root): SIGHUP reloads lvs.cf, SIGTERM stops',
  description: 'Runs the router in the foreground (root): takes its devices from lvs.cf, answers ARP for the VIPs\n' +
    'and the NAT router address, fences the kernel off its flows (nftables table netdev tsvs, removed at\n' +
    'exit), and serves the control API that tsvs admin and tsvs top use. The data plane runs in a thread\n' +
    'of its own. SIGHUP reloads lvs.cf (a bad file is reported and the running table stays); SIGTERM and\n' +
    'SIGINT stop it cleanly. Start-up problems (not root, a missing device, ...) exit with status 1.\n' +
    'With backup_active = 1 it runs as pulse did, from the same lvs.cf on both routers: primary or backup\n' +
    'by its own addresses, heartbeats on heartbeat_port, active (answering for the addresses) only while\n' +
    'pulse\'s rules say so; tsvs failover shows and switches it.',
  options: START_OPTIONS,
  run: ({ values }) => runStart(values),
});

async function runStart(values: Values<typeof START_OPTIONS>): Promise<number> {
  const level = values['log-level'] as Level;
  const backend = values.backend as Backend;
  const log = createLogger({ level, json: values['log-json'], journal: stderrIsJournal() });
  const native = loadNative().addon;
  // The pcap package's poll handles cannot be closed from JS (it never uv_close()s
  // them), and a worker thread aborts when its loop ends with handles open: with the
  // pcap backend the data plane runs in the main thread instead.
  const inline = values.dataplane === 'inline' || backend === 'pcap' || (backend === 'auto' && !native);
  if (inline && values.dataplane !== 'inline') log.info('the data plane runs in the main thread: the pcap backend cannot run in a worker thread');
  const workers = values.workers as number;
  // --backend xdp is asked for by name: no quiet fallback to AF_PACKET, which would measure or run something else.
  const xdp = backend === 'xdp' ? loadXdp() : null;
  if (xdp && !xdp.addon) {
    process.stderr.write(`tsvs start: --backend xdp: AF_XDP cannot be used: ${xdp.reason}\n`);
    return 1;
  }
  const problem = workersProblem(workers, availableParallelism(), inline) ?? (xdp && workers > 1 ? `--workers ${workers}: the xdp backend runs one data-plane worker (one XSK socket per device, queue 0)` : null);
  if (problem) {
    process.stderr.write(`tsvs start: ${problem}\n`);
    return 1;
  }
  const router = new Router({
    configPath: values.config,
    log,
    host: linuxHost,
    backend,
    fenceMirror: xdp?.addon ? new XdpSteering(xdp.addon) : undefined,
    dataPlane: (spec) => inline
      ? new InlineDataPlane({ ...spec, log, openPort: (devices) => openLivePort(devices, backend, log) })
      : workers > 1 ? new MultiDataPlane(spec, workers, log) : new WorkerDataPlane(spec, log),
    workers,
    connCapacity: values['conn-capacity'],
    controlSocket: values['no-control'] ? null : values['control-socket'],
    probe: values['no-health-checks'] ? undefined : runProbe,
    peerOf: native ? (fd) => native.peerCred(fd) : undefined,
    statsFile: values['stats-file'],
    metrics: values.metrics,
    rates: new Estimator(),
    signals: process,
    forceActive: values.forceactive,
  });
  try {
    await router.start();
  } catch (e) {
    if (e instanceof StartError) {
      for (const line of e.message.split('\n')) process.stderr.write(`tsvs start: ${line}\n`);
      return 1;
    }
    throw e;
  }
  return router.done;
}

/** Why --workers N cannot run here (null: it can): more workers than cores only share them, and only AF_PACKET fans out. */
export function workersProblem(workers: number, cores: number, inline: boolean): string | null {
  if (workers > cores) return `--workers ${workers}: this machine has ${cores} core${cores === 1 ? '' : 's'}; give 1 to ${cores}`;
  if (workers > 1 && inline) return `--workers ${workers} needs the native AF_PACKET backend in worker threads (not --backend pcap nor --dataplane inline)`;
  return null;
}
