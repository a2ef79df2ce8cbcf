// The lvs.cf that matches a lab (Piranha format, as test/fixtures/config/nat.cf and dr.cf).
import type { LabPlan } from './plan.js';

/** `vrrp`: the pair elects by VRRP (failover = vrrp, VRID 51 on eth0, the public LAN) instead of pulse's heartbeat. */
export function labLvsCf(plan: LabPlan, o: { vrrp?: boolean } = {}): string {
  const nat = plan.mode === 'nat';
  const ha = plan.backupAddr !== undefined;
  const election = o.vrrp
    ? ['failover = vrrp', 'vrrp_id = 51', 'vrrp_interface = eth0', 'vrrp_advert_int = 1']
    : ['heartbeat = 1', 'heartbeat_port = 539', 'keepalive = 1', 'deadtime = 3', 'failback = 1'];
  const lines = [
    `# tsvs lab "${plan.name}" (${nat ? 'LVS-NAT' : 'LVS-DR'}), written by tsvs lab up.`,
    `# Start the router: ip netns exec ${plan.namespaces.router} tsvs start -c <this file>`,
    ...(ha ? [
      `# and the backup, from this same file: ip netns exec ${plan.namespaces.backup} tsvs start -c <this file>`,
      ...(o.vrrp ? ['# VRRP elects the active router (VRRPv2, VRID 51, priorities 150 and 100: the primary preempts)'] : [
        '# (the lab\'s heartbeat is quicker than Piranha\'s default keepalive 2, deadtime 5; failback is',
        '# tsvs\'s: the primary back takes the addresses again after deadtime, where pulse never did)',
      ]),
    ] : []),
    'serial_no = 1',
    `primary = ${plan.routerAddr}`,
    ...(ha ? [`primary_private = ${plan.routerPrivateAddr}`] : []),
    'service = lvs',
    ...(ha ? [
      'backup_active = 1',
      `backup = ${plan.backupAddr}`,
      `backup_private = ${plan.backupPrivateAddr}`,
      ...election,
      'syncdaemon = 1',
      'syncd_iface = eth1',
    ] : ['backup_active = 0', 'heartbeat = 0']),
    `network = ${nat ? 'nat' : 'direct'}`,
  ];
  if (nat) lines.push(`nat_router = ${plan.natRouter} eth1:0`, 'nat_nmask = 255.255.255.0');
  // IPv6's nat_router (one per family) is a /64 without a netmask key.
  if (nat && plan.v6?.natRouter) lines.push(`nat_router = ${plan.v6.natRouter} eth1:0`);
  virtual(lines, 'http', plan.vip, plan.serverNames, plan.serverAddrs);
  // --ipv6: the same service on the v6 VIP (a /128 on eth0), with the servers' v6 addresses.
  if (plan.v6) virtual(lines, 'http6', plan.v6.vip, plan.serverNames, plan.v6.serverAddrs);
  return lines.join('\n') + '\n';
}

function virtual(lines: string[], name: string, vip: string, names: string[], addrs: string[]): void {
  lines.push(
    '',
    `virtual ${name} {`,
    '    active = 1',
    `    address = ${vip} eth0:1`,
    '    port = 80',
    '    send = "GET / HTTP/1.0\\r\\n\\r\\n"',
    '    expect = "HTTP"',
    '    scheduler = wlc',
    '    protocol = tcp',
    '    timeout = 6',
    '    reentry = 15',
  );
  names.forEach((n, k) => {
    lines.push('', `    server ${n} {`, `        address = ${addrs[k]}`, '        active = 1', '        port = 80', '        weight = 1', '    }');
  });
  lines.push('}');
}
