// What a `tsvs admin` command line means once parsed: changes to send as Ops,
// or something to list, save, restore or print. run.ts executes these.
import type { Op } from '../../control/types.js';
import type { Cmd } from './options.js';

/** ipvsadm's FMT_* flags for the listings, plus tsvs's --json. */
export interface ListFormat {
  numeric: boolean;
  stats: boolean;
  rate: boolean;
  thresholds: boolean;
  persistentConn: boolean;
  noSort: boolean;
  exact: boolean;
  tunInfo: boolean;
  json: boolean;
}

export const DEFAULT_FORMAT: ListFormat = {
  numeric: false, stats: false, rate: false, thresholds: false, persistentConn: false,
  noSort: false, exact: false, tunInfo: false, json: false,
};

/** A service as -t/-u/--sctp-service/-f name it, before it becomes a ServiceSelector. */
export type ServiceKey =
  | { protocol: 'tcp' | 'udp' | 'sctp'; af: 4 | 6; address: string; port: number }
  | { fwmark: number; af: 4 | 6 };

export interface DaemonSettings {
  state: 'master' | 'backup';
  mcastInterface: string;
  syncid?: number;
  mcastGroup?: string;
  mcastPort?: number;
  mcastTtl?: number;
  syncMaxlen?: number;
}

export type AdminCommand =
  | {
      kind: 'change';
      cmd: Cmd;
      ops: Op[];
      /**
       * An errno the kernel would answer for what the Ops cannot say: SCTP
       * (ENOPROTOOPT) and IPv6 (EAFNOSUPPORT) are not built. run.ts prints its
       * ipvs_strerror message without calling the API.
       */
      refuse?: 'ENOPROTOOPT';
    }
  | { kind: 'list'; what: 'all' | 'conns' | 'timeouts' | 'daemon'; format: ListFormat }
  | { kind: 'list'; what: 'service'; service: ServiceKey; format: ListFormat }
  | { kind: 'save'; format: ListFormat }
  | { kind: 'restore' }
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'daemon'; cmd: 'start-daemon' | 'stop-daemon'; daemon: DaemonSettings };
