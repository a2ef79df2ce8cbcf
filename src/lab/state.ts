// /run/tsvs/lab-<name>/state.json: what a lab created (namespaces, processes,
// addresses), written before anything is made, so `lab down` can clean up
// after a crash of `lab up` itself.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabPlan } from './plan.js';
import type { ProcRecord } from './procs.js';
import type { HttpdKind } from './servers.js';

/** The plan's names and addresses, and what `lab up` added to them. */
export interface LabState extends Pick<LabPlan,
  'name' | 'mode' | 'namespaces' | 'vip' | 'natRouter' | 'routerAddr' | 'routerPrivateAddr' | 'backupAddr' | 'backupPrivateAddr' | 'clientAddr' |
  'gatewayAddr' | 'serverNames' | 'serverAddrs' | 'routerDevices' | 'v6'> {
  version: 1;
  createdAt: string;
  httpd: HttpdKind;
  offloads: boolean;
  stateDir: string;
  configPath: string;
  processes: ProcRecord[];
}

export const statePath = (dir: string) => join(dir, 'state.json');

export function writeState(s: LabState): void {
  const path = statePath(s.stateDir);
  writeFileSync(`${path}.tmp`, JSON.stringify(s, null, 2) + '\n');
  renameSync(`${path}.tmp`, path);
}

/** The recorded state, or null when there is none or it is unreadable (a crash mid-write). */
export function readState(dir: string): LabState | null {
  const path = statePath(dir);
  if (!existsSync(path)) return null;
  try {
    const s = JSON.parse(readFileSync(path, 'utf8')) as LabState;
    return s && s.version === 1 && Array.isArray(s.processes) && s.namespaces ? s : null;
  } catch {
    return null;
  }
}
