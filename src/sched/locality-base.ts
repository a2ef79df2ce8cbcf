// What lblc and lblcr share: the WLC pick over the whole list (the same loop
// as ip_vs_wlc.c, so the same tournament index), and their own notion of an
// overloaded dest, which is not the OVERLOAD flag:
//   "If this destination server is overloaded and there is a less loaded
//    server, then return true."
//   activeconns > weight, and some dest d in the list has activeconns * 2 < weight
// The "some dest" part is a counter kept up to date by changed() once the
// list is long enough for the index, a scan below that.
import { IndexedScheduler } from './least-base.js';
import { RULE_WLC } from './least-index.js';
import { LocalityTable, type LocalityEntry } from './locality-table.js';
import { DEST_AVAILABLE, type DestView } from './types.js';
import { wlcScan } from './wlc.js';

export interface LocalityOptions {
  /** Entries unused this long are collected (lblc_expiration / lblcr_expiration); default 24 h. */
  expirationMs?: number;
  legacyHash?: boolean;
  indexMin?: number;
}

export abstract class LocalityScheduler<E extends LocalityEntry> extends IndexedScheduler {
  /** The locality cache: destination IP -> entry. */
  readonly table: LocalityTable<E>;
  /** Per list position: activeconns * 2 < weight. */
  private under = new Uint8Array(0);
  private underCount = 0;

  constructor(opts: LocalityOptions = {}) {
    super(RULE_WLC, opts.indexMin);
    this.table = new LocalityTable<E>(opts.expirationMs, opts.legacyHash);
  }

  /** lblc, lblcr keep more than the index (the under-loaded marks): update() at the switch. */
  protected override newIndex(): null {
    return null;
  }

  override update(ids: Uint32Array, dests: DestView): void {
    super.update(ids, dests);
    this.under = new Uint8Array(this.ids.length);
    this.underCount = 0;
    for (let i = 0; i < this.ids.length; i++) {
      const u = this.lessLoaded(dests, this.ids[i]) ? 1 : 0;
      this.under[i] = u;
      this.underCount += u;
    }
  }

  override changed(d: number, dests: DestView): void {
    super.changed(d, dests);
    const pos = this.positions.of(d);
    if (pos < 0) return;
    const u = this.lessLoaded(dests, d) ? 1 : 0;
    this.underCount += u - this.under[pos];
    this.under[pos] = u;
  }

  abstract forget(d: number): void;

  protected scan(dests: DestView): number {
    return wlcScan(this.ids, dests);
  }

  /** is_overloaded(dest, svc) of ip_vs_lblc.c / ip_vs_lblcr.c. */
  protected overloaded(dests: DestView, d: number): boolean {
    if (dests.active[d] <= dests.weight[d]) return false;
    if (this.indexed) return this.underCount > 0;
    for (let i = 0; i < this.ids.length; i++) if (this.lessLoaded(dests, this.ids[i])) return true;
    return false;
  }

  /**
   * The kernel tests IP_VS_DEST_F_AVAILABLE of a cached dest, which is clear
   * once the dest left the service; entries keep such dests, as the kernel's
   * keep a reference to them. In tsvs that is: still in this service's list.
   */
  protected available(dests: DestView, d: number): boolean {
    return this.positions.of(d) >= 0 && (dests.flags[d] & DEST_AVAILABLE) !== 0;
  }

  private lessLoaded(dests: DestView, d: number): boolean {
    return dests.active[d] * 2 < dests.weight[d];
  }
}
