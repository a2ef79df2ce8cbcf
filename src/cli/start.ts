// tsvs start -c lvs.cf: the router in the foreground. SIGTERM/SIGINT stop it
// cleanly (fence removed), SIGHUP reloads lvs.cf (a bad file is reported and the
// running table stays). Start-up problems are one line each, exit status 1.
import { Router, StartError } from '../router/daemon.js';
import { createLogger, type Level } from '../router/log.js';
import { openLivePort, type Backend } from '../router/ports.js';
import { linuxHost } from '../router/preflight.js';
import type { OptionSpecs, Values } from './options.js';
import { defineCommand } from './registry.js';

const START_OPTIONS = {
  config: { type: 'string', short: 'c', arg: 'FILE', required: true, help: 'the lvs.cf to serve' },
  backend: { type: 'enum', choices: ['auto', 'native', 'pcap'], default: 'auto', help: 'packet I/O: native (the AF_PACKET ring), pcap, or auto: native when built and usable, else pcap' },
  'log-level': { type: 'enum', choices: ['debug', 'info', 'warn', 'error'], default: 'info', help: 'least severe log line printed' },
  'log-json': { type: 'boolean', help: 'log lines as JSON' },
  'stats-file': { type: 'string', arg: 'PATH', help: 'write a JSON snapshot of the counters there every second' },
  'conn-capacity': { type: 'number', integer: true, min: 1, max: 2 ** 28, arg: 'N', help: 'connection table slots (overrides lvs.cf\'s conn_capacity)' },
} as const satisfies OptionSpecs;

export const startCommand = defineCommand({
  name: 'start',
  summary: 'run the router in the foreground (root): SIGHUP reloads lvs.cf, SIGTERM stops',
  description: 'Runs the router in the foreground (root): takes its devices from lvs.cf, answers ARP for the VIPs\n' +
    'and the NAT router address, fences the kernel off its flows (nftables table netdev tsvs, removed at\n' +
    'exit). SIGHUP reloads lvs.cf (a bad file is reported and the running table stays); SIGTERM and\n' +
    'SIGINT stop it cleanly. Start-up problems (not root, a missing device, ...) exit with status 1.',
  options: START_OPTIONS,
  run: ({ values }) => runStart(values),
});

async function runStart(values: Values<typeof START_OPTIONS>): Promise<number> {
  const level = values['log-level'] as Level;
  const backend = values.backend as Backend;
  const log = createLogger({ level, json: values['log-json'] });
  const router = new Router({
    configPath: values.config,
    log,
    host: linuxHost,
    openPort: (devices) => openLivePort(devices, backend, log),
    connCapacity: values['conn-capacity'] ? Number(values['conn-capacity']) : undefined,
  });
  try {
    router.start();
  } catch (e) {
    if (e instanceof StartError) {
      for (const line of e.message.split('\n')) process.stderr.write(`tsvs start: ${line}\n`);
      return 1;
    }
    throw e;
  }
  const statsFile = values['stats-file'];
  const timer = setInterval(() => {
    router.tick();
    if (statsFile) router.writeStats(statsFile);
  }, 1000);
  if (statsFile) router.writeStats(statsFile);
  return new Promise<number>((resolve) => {
    const stop = (sig: string): void => {
      log.info('signal received, stopping', { signal: sig });
      clearInterval(timer);
      router.stop();
      resolve(0);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => {
      log.info('SIGHUP: reloading lvs.cf', { config: values.config });
      router.reload();
    });
  });
}
