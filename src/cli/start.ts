// tsvs start -c lvs.cf: the router in the foreground. SIGTERM/SIGINT stop it
// cleanly (fence removed), SIGHUP reloads lvs.cf (a bad file is reported and the
// running table stays). Start-up problems are one line each, exit status 1.
import { parseArgs } from 'node:util';
import { Router, StartError } from '../router/daemon.js';
import { createLogger, type Level } from '../router/log.js';
import { openLivePort, type Backend } from '../router/ports.js';
import { linuxHost } from '../router/preflight.js';

export async function startCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string', short: 'c' },
      backend: { type: 'string', default: 'auto' },
      'log-level': { type: 'string', default: 'info' },
      'log-json': { type: 'boolean', default: false },
      'stats-file': { type: 'string' },
      'conn-capacity': { type: 'string' },
    },
  });
  if (!values.config) throw new Error('-c FILE (the lvs.cf to serve) is required');
  const level = values['log-level'] as Level;
  if (!['debug', 'info', 'warn', 'error'].includes(level)) throw new Error(`--log-level ${level}: want debug, info, warn or error`);
  const backend = values.backend as Backend;
  if (!['auto', 'native', 'pcap'].includes(backend)) throw new Error(`--backend ${backend}: want auto, native or pcap`);
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
