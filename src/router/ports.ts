// Chooses the live packet backend: the native AF_PACKET ring when it is built
// and usable, else the portable pcap capture + inject, saying which and why.
import type { Logger } from './log.js';
import type { LivePort } from './daemon.js';

export type Backend = 'auto' | 'native' | 'pcap';

export function openLivePort(_devices: string[], _backend: Backend, _log: Logger): LivePort {
  throw new Error('no live packet backend is built yet');
}
