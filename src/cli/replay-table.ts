// The table at the end of `tsvs replay`, with the counters the engine kept, as
// a TableView for `tsvs admin`'s formatters: `-L -n` (connections per server)
// and `--stats` (packets and bytes).
import { tableViewFromModel } from '../control/from-model.js';
import type { ServiceView, TableView } from '../control/types.js';
import type { Engine } from '../engine/engine.js';
import { snapshot } from '../router/stats.js';
import { DEFAULT_FORMAT } from './admin/command.js';
import { formatList } from './admin/format-list.js';
import { numericNamer } from './admin/names.js';

/** router/stats.ts names services "TCP 198.18.0.10:80" or "FWM 80". */
const snapshotKey = (s: ServiceView): string => (s.fwmark ? `FWM ${s.fwmark}` : `${s.protocol.toUpperCase()} ${s.address}:${s.port}`);

export function replayTableView(engine: Engine): TableView {
  const view = tableViewFromModel(engine.table!);
  const counted = new Map(snapshot(engine, 0).services.map((s) => [s.service, s.dests]));
  for (const svc of view.services) {
    const dests = new Map((counted.get(snapshotKey(svc)) ?? []).map((d) => [d.address, d]));
    for (const rs of svc.servers) {
      const d = dests.get(`${rs.address}:${rs.port}`);
      if (!d) continue;
      rs.activeConns = d.active;
      rs.inactiveConns = d.inactive;
      rs.stats = { conns: d.conns, inPkts: d.inPkts, outPkts: d.outPkts, inBytes: d.inBytes, outBytes: d.outBytes };
      for (const k of ['conns', 'inPkts', 'outPkts', 'inBytes', 'outBytes'] as const) svc.stats[k] += rs.stats[k];
    }
  }
  return view;
}

/** `ipvsadm -L -n`, then `ipvsadm -L -n --stats` (without its version line). */
export function replayTables(engine: Engine): string {
  const view = replayTableView(engine);
  const list = formatList(view, { ...DEFAULT_FORMAT, numeric: true }, numericNamer);
  const stats = formatList(view, { ...DEFAULT_FORMAT, numeric: true, stats: true }, numericNamer);
  return `${list}\n${stats.slice(stats.indexOf('\n') + 1)}`;
}
