// Service ids in the control API's URLs: tcp-198.18.0.10-80, udp-..., fwm-1.
import type { ServiceSelector } from './types.js';

export function parseServiceId(id: string): ServiceSelector | null {
  const fwm = /^fwm-(\d+)$/.exec(id);
  if (fwm) return { fwmark: Number(fwm[1]) };
  const m = /^(tcp|udp)-([\d.]+)-(\d+)$/.exec(id);
  if (!m) return null;
  return { protocol: m[1] as 'tcp' | 'udp', address: m[2], port: Number(m[3]) };
}

export function serviceIdOf(sel: ServiceSelector): string {
  return 'fwmark' in sel ? `fwm-${sel.fwmark}` : `${sel.protocol}-${sel.address}-${sel.port}`;
}
