// The data plane's worker thread: it opens the packet port here, so the port's
// readable events and the engine run on this thread's event loop alone, and
// answers the control plane's messages (table deltas, connection pages,
// announcements) between batches. Its counters live in shared memory that the
// control plane reads without a message. Logs go to the control plane's logger.
import { parentPort, workerData } from 'node:worker_threads';
import { DataPlaneHost } from './dataplane-host.js';
import type { DataPlaneSpec } from './dataplane.js';
import type { Level, Logger } from './log.js';
import { openLivePort, type Backend } from './ports.js';
import type { Request, Response } from './dataplane-protocol.js';

const port = parentPort!;
const spec = workerData as DataPlaneSpec;

const emit = (level: Level) => (msg: string, fields?: Record<string, unknown>): void => port.postMessage({ kind: 'log', level, msg, fields } satisfies Response);
const log: Logger = { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };

const host = new DataPlaneHost({
  devices: spec.devices,
  macs: spec.macs,
  sources: spec.sources,
  mtus: spec.mtus,
  routes: spec.routes,
  connCapacity: spec.connCapacity,
  batchFrames: spec.batchFrames,
  maxBatchesPerWake: spec.maxBatchesPerWake,
  shared: true,
  log,
  openPort: (devices) => openLivePort(devices, spec.backend as Backend, log),
});
let timer: NodeJS.Timeout | null = null;

port.on('message', (req: Request) => {
  const fail = (e: unknown): void => port.postMessage({ kind: 'error', id: req.id, message: (e as Error).message } satisfies Response);
  try {
    const r = answer(req);
    // A table change runs in steps between batches (DataPlaneHost.stageLater, applyLater): answered when done.
    if (r instanceof Promise) r.then((m) => port.postMessage(m), fail);
    else port.postMessage(r);
  } catch (e) {
    fail(e);
  }
});

function answer(req: Request): Response | Promise<Response> {
  switch (req.kind) {
    case 'start': {
      const layouts = host.start(req.delta);
      timer = setInterval(() => host.tick(), 1000);
      return { kind: 'started', id: req.id, layouts, memory: host.memory };
    }
    case 'stage':
      return host.stageLater(req.version, req.key, req.servers, req.remove).then(() => ({ kind: 'done', id: req.id }));
    case 'apply':
      return host.applyLater(req.delta).then((layouts) => ({ kind: 'applied', id: req.id, layouts }));
    case 'conns':
      return { kind: 'conns', id: req.id, page: host.conns(req.offset, req.limit) };
    case 'announce':
      host.announce();
      return { kind: 'done', id: req.id };
    case 'sync':
      // The sockets open here, so sync messages are read on the data plane's own loop.
      host.setSync(req.settings);
      return { kind: 'done', id: req.id };
    case 'routes':
      host.setRoutes(req.routes);
      return { kind: 'done', id: req.id };
    case 'resync':
      return { kind: 'resynced', id: req.id, conns: host.resync() };
    case 'stop':
      if (timer) clearInterval(timer);
      host.stop();
      // Nothing else keeps the thread alive: it ends once this answer is out.
      port.unref();
      return { kind: 'done', id: req.id };
  }
}
