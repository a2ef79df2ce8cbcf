// IPVS's flood defences (ip_vs_ctl.c update_defense_level, run once a second by
// defense_work_handler) and tsvs's SYN proxy switch, driven by the engine's clock.
// IPVS measures the kernel's free memory against amemthresh (pages); tsvs's
// connection table is preallocated, so what runs out is free entries, and
// amemthresh counts those.
//
// Each strategy has four modes, as the sysctls do: 0 off; 1 automatic, which
// switches the strategy on (and the mode reads 2) while free entries are below
// amemthresh, and back off (mode 1) when they recover; 3 always on.
//   drop_entry:  ip_vs_random_dropentry() each second: random entries in SYN_RECV
//                (and idle ones) are dropped.
//   drop_packet: one new connection in drop_rate is refused, drop_rate =
//                amemthresh / (amemthresh - free), or am_droprate in mode 3.
//   secure_tcp:  the TCP state table and timeouts switch to the secure ones.
//   syn_proxy:   (tsvs, as DPVS) while on, a NAT service's SYN is answered with a SYN
//                cookie by the router itself (syn-proxy.ts).
import type { ConnTable } from '../conn/table.js';
import { DEFAULT_SWITCHES, type Switches } from '../model/index.js';

/** DEFENSE_TIMER_PERIOD: 1 s. */
export const DEFENSE_PERIOD_MS = 1000;

export class Defense {
  /** The modes as the sysctls read now (1 flips to 2 while on, like the kernel's). */
  dropEntryMode = 0;
  dropPacketMode = 0;
  secureTcpMode = 0;
  synProxyMode = 0;
  /** Whether each is acting now. */
  dropEntryOn = false;
  secureTcpOn = false;
  synProxyOn = false;
  /** ipvs->drop_rate (0 = drop nothing) and the countdown ip_vs_todrop() runs. */
  dropRate = 0;
  dropCounter = 0;
  amemthresh = 0;
  amDroprate = 10;
  private nextRun = -Infinity;

  constructor(private readonly conns: ConnTable) {
    this.configure(DEFAULT_SWITCHES);
  }

  /** New settings (a table version): modes as written, evaluated at the next run(). */
  configure(sw: Switches): void {
    this.dropEntryMode = sw.dropEntry;
    this.dropPacketMode = sw.dropPacket;
    this.secureTcpMode = sw.secureTcp;
    this.synProxyMode = sw.synProxy;
    this.amemthresh = sw.amemthresh;
    this.amDroprate = sw.amDroprate;
    this.nextRun = -Infinity;
  }

  /** amemthresh in free entries (0: 1/16 of the table). */
  get threshold(): number {
    return this.amemthresh > 0 ? this.amemthresh : Math.max(1, Math.floor(this.conns.capacity / 16));
  }

  /**
   * The once-a-second work, called with every batch's clock: update the levels,
   * then with drop_entry on scan 1/32 of the table. Returns entries dropped.
   */
  run(now: number): number {
    if (now < this.nextRun) return 0;
    this.nextRun = now + DEFENSE_PERIOD_MS;
    this.update();
    if (!this.dropEntryOn) return 0;
    return this.conns.randomDropEntry(Math.max(1, this.conns.capacity >>> 5), now);
  }

  /** update_defense_level(). */
  update(): void {
    const thresh = this.threshold;
    const free = this.conns.capacity - this.conns.count;
    const nomem = free < thresh;
    [this.dropEntryMode, this.dropEntryOn] = level(this.dropEntryMode, nomem);
    let dropOn: boolean;
    [this.dropPacketMode, dropOn] = level(this.dropPacketMode, nomem);
    // "ipvs->drop_rate = ipvs->drop_counter = amemthresh / (amemthresh - availmem)".
    if (!dropOn) this.dropRate = 0;
    else this.dropRate = this.dropCounter = this.dropPacketMode === 3 ? this.amDroprate : Math.max(1, Math.floor(thresh / (thresh - free)));
    let secure: boolean;
    [this.secureTcpMode, secure] = level(this.secureTcpMode, nomem);
    if (secure !== this.secureTcpOn) this.conns.setSecureTcp(secure);
    this.secureTcpOn = secure;
    [this.synProxyMode, this.synProxyOn] = level(this.synProxyMode, nomem);
  }

  /** ip_vs_todrop(): whether this new connection is refused (drop_packet). */
  toDrop(): boolean {
    if (this.dropRate === 0) return false;
    if (--this.dropCounter > 0) return false;
    this.dropCounter = this.dropRate;
    return true;
  }
}

/** One strategy's mode step: [new mode, acting]. Mode 1 goes to 2 under pressure, 2 back to 1 without. */
function level(mode: number, nomem: boolean): [number, boolean] {
  switch (mode) {
    case 1:
    case 2:
      return nomem ? [2, true] : [1, false];
    case 3:
      return [3, true];
    default:
      return [0, false];
  }
}
