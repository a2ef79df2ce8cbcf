// What the IPVS sync daemon reads from lvs.cf: `syncdaemon = 1` turns it on (pulse
// ran `ipvsadm --start-daemon master|backup --mcast-interface syncd_iface
// --syncid syncd_id` as the router became active or inactive); `syncd_version`
// (a tsvs key, the kernel's sysctl sync_version) picks the wire format sent.
import type { HaAuth } from './compile-auth.js';
import type { GlobalSettings } from './keys.js';

export interface SyncSettings {
  /** The interface the multicast goes out of and is received on (--mcast-interface). */
  iface: string;
  /** 0..255; 0: a backup accepts every syncid (the kernel's rule). */
  syncid: number;
  version: 0 | 1;
  /** ha_key_file: messages carry an HMAC and a counter, and unauthenticated ones are dropped (compile-auth.ts). */
  auth: HaAuth | null;
}

export const SYNC_KEYS = ['syncdaemon', 'syncd_iface', 'syncd_id', 'syncd_version'] as const;

export const NO_SYNC = 'syncdaemon = 0: connections are not synchronised to the partner router';

export function compileSync(g: GlobalSettings, auth: HaAuth | null): SyncSettings | null {
  if (!g.syncdaemon) return null;
  return { iface: g.syncd_iface, syncid: g.syncd_id, version: g.syncd_version === 0 ? 0 : 1, auth };
}
