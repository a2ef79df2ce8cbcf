// The data plane's worker thread: it opens the packet port here, so the port's
// readable events and the engine run on this thread's event loop alone, and
// answers the control plane's messages (table deltas, connection pages,
// announcements) between batches. Its counters live in shared memory that the
// control plane reads without a message. Logs go to the control plane's logger.
import { parentPort, workerData } from 'node:worker_threads';
import { DataPlaneHost, observeGc } from './dataplane-host.js';
import type { DataPlaneSpec } from './dataplane.js';
import type { Level, Logger } from './log.js';
import { openLivePort, type Backend } from './ports.js';
import type { Request, Response } from './dataplane-protocol.js';
import type { LivePort } from '../frames/port.js';
import type { AfPacketPort } from '../io/afpacket.js';
import { encode } from '../io/cbpf.js';
import { clientSide, fanoutProgram } from './fanout-bpf.js';

const port = parentPort!;
const spec = workerData as DataPlaneSpec;

const emit = (level: Level) => (msg: string, fields?: Record<string, unknown>): void => port.postMessage({ kind: 'log', level, msg, fields } satisfies Response);
const log: Logger = { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };

const share = spec.worker;
/** The port the host opened, kept here so worker 0 can set the fanout groups' program. */
let live: LivePort | null = null;
let program = '';
/** The fanout groups to join (workers other than the first), from the start request. */
let groups: number[] = [];
/** Ends the publishing of this thread's GC pauses. */
let unobserveGc = (): void => {};

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
  openPort: (devices) => (live = openLivePort(devices, spec.backend as Backend, log, share ? { group: share.index === 0 ? 'unique' : groups, mode: 'cbpf' } : undefined, !share || share.index === 0)),
  share: share && {
    first: share.index === 0,
    relay: share.index === 0 && share.count > 1 ? (frame, itf) => port.postMessage({ kind: 'arp', frame, itf } satisfies Response, [frame.buffer as ArrayBuffer]) : undefined,
  },
});

/**
 * Worker 0, after each table: the fanout program for the client-side addresses
 * the table has now (set again only when it changed). The other workers apply a
 * table after worker 0 (dataplane-multi.ts), so none makes a connection to a new
 * VIP before the program sends its replies to the same worker.
 */
function setProgram(): void {
  if (!share || share.index !== 0 || !live) return;
  try {
    const bytes = encode(fanoutProgram(clientSide(host.engine)));
    const key = Buffer.from(bytes).toString('base64');
    if (key === program) return;
    (live as AfPacketPort).setFanoutProgram(bytes);
    program = key;
  } catch (e) {
    log.error('the fanout program could not be set; connections to new addresses may reach the wrong worker', { problem: (e as Error).message });
  }
}
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
      groups = req.fanoutGroups ?? [];
      const layouts = host.start(req.delta);
      setProgram();
      timer = setInterval(() => host.tick(), 1000);
      unobserveGc = observeGc(host);
      const made = share?.index === 0 && live ? (live as AfPacketPort).fanoutGroups() : undefined;
      return { kind: 'started', id: req.id, layouts, memory: host.memory, fanoutGroups: made };
    }
    case 'stage':
      return host.stageLater(req.version, req.key, req.servers, req.remove).then(() => ({ kind: 'done', id: req.id }));
    case 'apply':
      // Worker 0 sets the fanout program once the new table runs (dataplane-multi.ts applies it first).
      return host.applyLater(req.delta).then((layouts) => {
        setProgram();
        return { kind: 'applied', id: req.id, layouts };
      });
    case 'arp':
      host.hearArp(req.frame, req.itf);
      return { kind: 'done', id: req.id };
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
      unobserveGc();
      host.stop();
      // Nothing else keeps the thread alive: it ends once this answer is out.
      port.unref();
      return { kind: 'done', id: req.id };
  }
}
