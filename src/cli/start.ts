// tsvs start -c lvs.cf: the router in the foreground. SIGTERM/SIGINT stop it
// cleanly (fence removed, socket gone), SIGHUP reloads lvs.cf (a bad file is
// reported and the running table stays). Start-up problems are one line each,
// exit status 1; so is a data plane that dies (systemd then restarts the router).
import { parseArgs } from 'node:util';
import { loadNative } from '../io/native.js';
import { WorkerDataPlane } from '../router/dataplane-client.js';
import { InlineDataPlane } from '../router/dataplane.js';
import { Router, StartError } from '../router/daemon.js';
import { createLogger, type Level } from '../router/log.js';
import { openLivePort, type Backend } from '../router/ports.js';
import { linuxHost } from '../router/preflight.js';
import { Estimator } from '../control/estimator.js';
import { DEFAULT_SOCKET } from '../control/types.js';

/** Piranha's default lvs.cf (pulse and lvsd read it unless told otherwise). */
export const DEFAULT_CONFIG = '/etc/sysconfig/ha/lvs.cf';

export async function startCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string', short: 'c', default: DEFAULT_CONFIG },
      backend: { type: 'string', default: 'auto' },
      'log-level': { type: 'string', default: 'info' },
      'log-json': { type: 'boolean', default: false },
      'stats-file': { type: 'string' },
      'conn-capacity': { type: 'string' },
      'control-socket': { type: 'string', default: DEFAULT_SOCKET },
      'no-control': { type: 'boolean', default: false },
      dataplane: { type: 'string', default: 'worker' },
      metrics: { type: 'string' },
    },
  });
  const level = values['log-level'] as Level;
  if (!['debug', 'info', 'warn', 'error'].includes(level)) throw new Error(`--log-level ${level}: want debug, info, warn or error`);
  const backend = values.backend as Backend;
  if (!['auto', 'native', 'pcap'].includes(backend)) throw new Error(`--backend ${backend}: want auto, native or pcap`);
  if (!['worker', 'inline'].includes(values.dataplane)) throw new Error(`--dataplane ${values.dataplane}: want worker or inline`);
  const log = createLogger({ level, json: values['log-json'] });
  const native = loadNative().addon;
  // The pcap package's poll handles cannot be closed from JS (it never uv_close()s
  // them), and a worker thread aborts when its loop ends with handles open: with the
  // pcap backend the data plane runs in the main thread instead.
  const inline = values.dataplane === 'inline' || backend === 'pcap' || (backend === 'auto' && !native);
  if (inline && values.dataplane !== 'inline') log.info('the data plane runs in the main thread: the pcap backend cannot run in a worker thread');
  const router = new Router({
    configPath: values.config,
    log,
    host: linuxHost,
    backend,
    dataPlane: (spec) => inline
      ? new InlineDataPlane({ ...spec, log, openPort: (devices) => openLivePort(devices, backend, log) })
      : new WorkerDataPlane(spec, log),
    connCapacity: values['conn-capacity'] ? Number(values['conn-capacity']) : undefined,
    controlSocket: values['no-control'] ? null : values['control-socket'],
    peerOf: native ? (fd) => native.peerCred(fd) : undefined,
    statsFile: values['stats-file'],
    metrics: values.metrics,
    rates: new Estimator(),
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
  return new Promise<number>((resolve) => {
    const stop = (sig: string): void => {
      log.info('signal received, stopping', { signal: sig });
      void router.stop().then(() => resolve(0));
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => {
      log.info('SIGHUP: reloading lvs.cf', { config: values.config });
      void router.reload('SIGHUP');
    });
    void router.done.then(resolve);
  });
}
