// The messages between the control plane and the data plane's worker. Every
// request carries an id that its answer repeats; the worker also sends logs.
import type { ConnPage } from '../control/types.js';
import type { ServiceLayout } from '../engine/services.js';
import type { TableDelta } from '../model/diff.js';
import type { RealServer } from '../model/index.js';
import type { DataPlaneMemory } from '../engine/published.js';
import type { Level } from './log.js';
import type { SyncSettings } from './sync-socket.js';
import type { Route } from '../engine/routes.js';

export type Request =
  /** fanoutGroups: a worker of several other than the first joins these (one per device). */
  | { kind: 'start'; id: number; delta: TableDelta; fanoutGroups?: number[] }
  | { kind: 'stage'; id: number; version: number; key: string; servers: RealServer[]; remove: Array<number | string> }
  | { kind: 'apply'; id: number; delta: TableDelta }
  | { kind: 'conns'; id: number; offset: number; limit: number }
  | { kind: 'announce'; id: number }
  | { kind: 'sync'; id: number; settings: SyncSettings }
  | { kind: 'resync'; id: number }
  | { kind: 'routes'; id: number; routes: Route[] | null }
  | { kind: 'stop'; id: number }
  /** An ARP frame worker 0 heard (tsvs start --workers N: dataplane-host.ts WorkerShare). */
  | { kind: 'arp'; id: number; frame: Uint8Array; itf: number };

export type Response =
  /** fanoutGroups: the first of several workers, the groups it made. */
  | { kind: 'started'; id: number; layouts: ServiceLayout[]; memory: DataPlaneMemory; fanoutGroups?: number[] }
  | { kind: 'applied'; id: number; layouts: ServiceLayout[] }
  | { kind: 'conns'; id: number; page: ConnPage }
  | { kind: 'resynced'; id: number; conns: number | null }
  | { kind: 'done'; id: number }
  | { kind: 'error'; id: number; message: string }
  | { kind: 'log'; level: Level; msg: string; fields?: Record<string, unknown> }
  | { kind: 'arp'; frame: Uint8Array; itf: number };
