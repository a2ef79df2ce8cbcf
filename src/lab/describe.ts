// What `tsvs lab up` prints: the lab's hosts and addresses, and how to start the
// router in it and reach the VIP (the command itself is src/cli/lab.ts).
import type { Lab } from './lab.js';
import { DEFAULT_LAB_NAME } from './names.js';
import { LAB_ADDRS } from './plan.js';

export function describeLab(lab: Lab): string {
  const ns = lab.namespaces;
  const nat = lab.mode === 'nat';
  const lines = [
    `lab ${lab.name} is up: ${nat ? 'LVS-NAT' : 'LVS-DR'} with ${lab.serverAddrs.length} real servers`,
    `  client   ${ns.client.padEnd(22)} ${lab.clientAddr}${nat ? '' : ` (gateway ${lab.gatewayAddr})`}`,
  ];
  if (ns.gw) lines.push(`  gateway  ${ns.gw.padEnd(22)} ${LAB_ADDRS.dr.gwClientSide} (client side), ${LAB_ADDRS.dr.gwServerSide} (server LAN)`);
  lines.push(
    `  router   ${ns.router.padEnd(22)} eth0 ${lab.routerAddr}${nat ? ', eth1 on the private LAN' : ''}; ip_forward off`,
    `           VIP ${lab.vip}${nat ? ` and nat_router ${lab.natRouter}` : ''}: answered by tsvs, not by the kernel`,
  );
  if (ns.backup) lines.push(`  backup   ${ns.backup.padEnd(22)} eth0 ${lab.backupAddr}, eth1 ${LAB_ADDRS.nat.backupPrivate}: the backup router (pulse's heartbeat on both LANs, or VRRP on eth0 with --vrrp)`);
  lab.serverAddrs.forEach((a, k) => lines.push(`  ${lab.serverNames[k].padEnd(8)} ${ns.servers[k].padEnd(22)} ${a}${nat ? ` (gateway ${lab.natRouter})` : ` (VIP on lo)`}`));
  const v6 = lab.v6;
  if (v6) {
    lines.push(
      `  IPv6     the twin of each address in 2001:2::/48: VIP ${v6.vip}${v6.natRouter ? `, nat_router ${v6.natRouter}` : ''}, client ${v6.clientAddr}, router ${v6.routerAddr}`,
      `           real servers ${v6.serverAddrs.join(', ')}${nat ? '' : ' (v6 VIP on lo too)'}; no DAD`,
    );
  }
  lines.push(
    `  lvs.cf   ${lab.configPath}`,
    '',
    'start the router (in its namespace):',
    `  ip netns exec ${ns.router} tsvs start -c ${lab.configPath}`,
    ...(ns.backup ? [`  ip netns exec ${ns.backup} tsvs start -c ${lab.configPath}   # the backup, same file`] : []),
    'then, from the client:',
    `  ip netns exec ${ns.client} curl http://${lab.vip}/`,
    `  ip netns exec ${ns.client} curl -s 'http://${lab.vip}/bytes?n=52428800' | sha256sum`,
    ...(v6 ? [`  ip netns exec ${ns.client} curl -6 -g 'http://[${v6.vip}]/'`] : []),
    'see it:     tsvs lab status' + (lab.name === DEFAULT_LAB_NAME ? '' : ` --name ${lab.name}`),
    'take down:  tsvs lab down' + (lab.name === DEFAULT_LAB_NAME ? '' : ` --name ${lab.name}`),
  );
  return lines.join('\n') + '\n';
}
