// Opens the best live backend there is: the native AF_PACKET port, or, when the
// addon is not built or cannot be used, the pcap package, saying why.
import { AfPacketPort, type AfPacketOptions } from './afpacket.js';
import { loadNative, type NativeLoad } from './native.js';
import { PcapPort, type PcapPortOptions } from './pcap-port.js';

export interface LiveOptions {
  /** libpcap filter expression for either backend. */
  filter?: string;
  netns?: string;
  native?: Omit<AfPacketOptions, 'filter' | 'netns'>;
  pcap?: Omit<PcapPortOptions, 'filter' | 'netns' | 'warn'>;
  /** Where the fallback notice and pcap warnings go. Default console.warn. */
  warn?: (message: string) => void;
  /** For tests: what loadNative() found. */
  load?: NativeLoad;
}

export function fallbackNotice(reason: string): string {
  return `native AF_PACKET backend not available (${reason}); using the pcap backend`;
}

export function openLivePort(devices: string[], opts: LiveOptions = {}): AfPacketPort | PcapPort {
  const warn = opts.warn ?? ((m: string) => console.warn(m));
  const n = opts.load ?? loadNative();
  if (n.addon) return new AfPacketPort(devices, { ...opts.native, filter: opts.filter, netns: opts.netns }, n.addon);
  warn(fallbackNotice(n.reason));
  return new PcapPort(devices, { ...opts.pcap, filter: opts.filter, netns: opts.netns, warn });
}
