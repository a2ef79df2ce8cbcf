// Chooses the live packet backend: the native AF_PACKET ring when it is built
// and usable, else the portable pcap capture + inject, saying which and why.
// --backend native or pcap forces one (native fails clearly when not built);
// --backend xdp is the AF_XDP backend, only when asked for (io/afxdp.ts).
import { AfPacketPort, type AfPacketOptions } from '../io/afpacket.js';
import { AfXdpPort, loadXdp } from '../io/afxdp.js';
import { loadNative } from '../io/native.js';
import { openLivePort as openBest } from '../io/open.js';
import { PcapPort } from '../io/pcap-port.js';
import type { LivePort } from '../frames/port.js';
import type { Logger } from './log.js';

export type Backend = 'auto' | 'native' | 'pcap' | 'xdp';

/**
 * `fanout`: a data-plane worker of several (tsvs start --workers): the native
 * backend's sockets join PACKET_FANOUT_CBPF groups (router/fanout-bpf.ts).
 * `deviceCounters`: this port reads the devices' own drops (sysfs); of several
 * workers only the first does, or the sum over workers would count them N times.
 */
export function openLivePort(devices: string[], backend: Backend, log: Logger, fanout?: AfPacketOptions['fanout'], deviceCounters?: boolean): LivePort {
  const warn = (m: string): void => log.warn(m);
  if (backend === 'xdp') {
    const x = new AfXdpPort(devices, {}, loadXdp());
    const how = x.xdp.map((m, i) => `${devices[i]}: ${m.mode}${m.zeroCopy ? ', zero-copy' : ', copy'}`).join('; ');
    log.info('packet backend', { backend: `AF_XDP (XDP program steering the router's flows to XSK sockets; ARP by an AF_PACKET tap) ${how}`, devices: devices.join(',') });
    return x;
  }
  let port: AfPacketPort | PcapPort;
  if (backend === 'native' || fanout) {
    const n = loadNative();
    if (!n.addon) throw new Error(`--backend native: the AF_PACKET addon is not available (${n.reason})`);
    port = new AfPacketPort(devices, { fanout, deviceCounters }, n.addon);
  } else if (backend === 'pcap') {
    port = new PcapPort(devices, { warn });
  } else {
    port = openBest(devices, { warn });
  }
  log.info('packet backend', { backend: port instanceof AfPacketPort ? 'native AF_PACKET (TPACKET_V3 ring, sendmmsg, vnet header)' : 'pcap (capture + inject)', devices: devices.join(',') });
  return port as LivePort;
}
