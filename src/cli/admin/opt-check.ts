// generic_opt_check() and tunnel_opt_check(): which options a command (or a
// tunnel type) requires, refuses, or allows only one of. Columns are walked in
// option order and the first problem found is the one reported, as in ipvsadm.
import { fail } from './errors.js';
import { COMMANDS_V_OPTIONS, OPT_NAMES, type Cmd, type OptName } from './options.js';

export function genericOptCheck(cmd: Cmd, options: ReadonlySet<OptName>): void {
  const row = COMMANDS_V_OPTIONS[cmd];
  let last: OptName | null = null;
  OPT_NAMES.forEach((name, j) => {
    const rule = row[j];
    if (!options.has(name)) {
      if (rule === '+') fail(`You need to supply the '${name}' option for the '${cmd}' command`);
      return;
    }
    if (rule === 'x') fail(`Illegal '${name}' option with the '${cmd}' command`);
    if (rule === '1') {
      if (last === null) last = name;
      else fail(`The option '${name}' conflicts with the '${last}' option in the '${cmd}' command`);
    }
  });
}

export type TunnelType = 'ipip' | 'gue' | 'gre';

const TUN_OPTS: readonly OptName[] = ['tun-port', 'tun-nocsum', 'tun-csum', 'tun-remcsum'];

/** tunnel_types_v_options[][]: tun-port, tun-nocsum, tun-csum, tun-remcsum. */
const TUNNEL_V_OPTIONS: Record<TunnelType, string> = {
  ipip: 'xxxx',
  gue: '+111',
  gre: 'x11x',
};

export function tunnelOptCheck(type: TunnelType, options: ReadonlySet<OptName>): void {
  const row = TUNNEL_V_OPTIONS[type];
  let last: OptName | null = null;
  TUN_OPTS.forEach((name, j) => {
    const rule = row[j];
    if (!options.has(name)) {
      if (rule === '+') fail(`You need to supply the '${name}' option for the '${type}' tunnel type`);
      return;
    }
    if (rule === 'x') fail(`Illegal '${name}' option with the '${type}' tunnel type`);
    if (rule === '1') {
      if (last === null) last = name;
      else fail(`The option '${name}' conflicts with the '${last}' option in the '${type}' tunnel type`);
    }
  });
}
