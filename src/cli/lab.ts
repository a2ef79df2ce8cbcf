// tsvs lab up|down|status: argument parsing and printing only; the work is in
// src/lab/. Exit status: 0 ok, 1 an operation failed or (status) the lab is not
// healthy, 2 usage.
import { checkLabName, DEFAULT_LAB_NAME, describeLab, formatStatus, healthy, labDown, labStatus, labUp, MAX_SERVERS } from '../lab/index.js';
import { defineCommand, defineGroup, EXIT_FAILURE, EXIT_OK } from './registry.js';

/** --name NAME of a lab, checked before anything runs (it becomes part of namespace names). */
export const labNameOption = (dflt: string) => ({
  type: 'custom' as const,
  arg: 'NAME',
  want: '1-20 lower-case letters or digits',
  help: 'lab name: lower-case letters and digits',
  default: dflt,
  parse: (raw: string): string => {
    try {
      return checkLabName(raw);
    } catch {
      throw new Error('want 1-20 lower-case letters or digits (it becomes part of namespace names tsvs-<name>-<role>)');
    }
  },
});

const up = defineCommand({
  name: 'up',
  summary: 'build the Red Hat guide\'s LVS-NAT or LVS-DR topology in network namespaces (root)',
  description: 'Builds the Red Hat guide\'s LVS-NAT or LVS-DR topology in network namespaces tsvs-<name>-*,\n' +
    'starts the real servers and writes a matching lvs.cf; prints how to start the router and reach the VIP.',
  options: {
    servers: { type: 'number', integer: true, min: 1, max: MAX_SERVERS, default: 3, arg: 'N', help: 'real servers' },
    name: labNameOption(DEFAULT_LAB_NAME),
    httpd: { type: 'enum', choices: ['builtin', 'nginx'], default: 'builtin', arg: 'KIND', help: 'real servers\' HTTP server: builtin or nginx (if installed)' },
    'no-offloads': { type: 'boolean', help: 'turn veth offloads off on the router\'s interfaces and their peers' },
    'private-addr': { type: 'boolean', help: 'NAT: give the router\'s kernel 198.19.0.2 on eth1 (e.g. for health checks)' },
    ha: { type: 'boolean', help: 'NAT: a backup router too (namespace tsvs-<name>-backup, 198.18.0.3 / 198.19.0.3) and an lvs.cf for both (backup_active = 1)' },
    'private-lan': { type: 'boolean', help: 'DR: the guide\'s DR figure, the VIP on the router\'s public eth0 and the real servers on a private LAN behind its eth1 (lvs.cf names eth0 alone; the routes pick eth1)' },
    ipv6: { type: 'boolean', help: 'dual stack: an IPv6 twin of every address in 2001:2::/48 (VIP 2001:2:0:1::10; NAT: nat_router 2001:2:0:2::1), no DAD, the httpds on [::]:80 too, and a v6 virtual service in lvs.cf' },
    vrrp: { type: 'boolean', help: 'with --ha: the routers elect the active one by VRRP (failover = vrrp, VRID 51 on eth0) instead of pulse\'s heartbeat' },
  },
  positionals: [{ name: 'nat|dr', help: 'the routing method', choices: ['nat', 'dr'] }],
  async run({ values, positionals, io }) {
    const lab = await labUp({
      mode: positionals[0] as 'nat' | 'dr',
      servers: values.servers,
      name: values.name,
      httpd: values.httpd,
      offloads: !values['no-offloads'],
      routerPrivateAddr: values['private-addr'],
      ha: values.ha,
      vrrp: values.vrrp,
      privateLan: values['private-lan'],
      ipv6: values.ipv6,
    });
    io.out(describeLab(lab));
    return EXIT_OK;
  },
});

const down = defineCommand({
  name: 'down',
  summary: 'end a lab\'s processes and delete its namespaces',
  options: { name: labNameOption(DEFAULT_LAB_NAME) },
  async run({ values, io }) {
    const name = values.name;
    const r = await labDown(name);
    if (r.namespaces.length === 0 && r.processes.length === 0) io.out(`lab ${name}: nothing to remove\n`);
    else io.out(`lab ${name} is down: deleted ${r.namespaces.length} namespaces, ended ${r.processes.length} processes\n`);
    return EXIT_OK;
  },
});

const status = defineCommand({
  name: 'status',
  summary: 'a lab\'s namespaces, addresses, processes and real servers answering (1 if not healthy)',
  options: {
    name: labNameOption(DEFAULT_LAB_NAME),
    json: { type: 'boolean', help: 'the status as JSON' },
  },
  async run({ values, io }) {
    const s = await labStatus(values.name);
    io.out(values.json ? JSON.stringify(s, null, 2) + '\n' : formatStatus(s));
    return s.exists && healthy(s) ? EXIT_OK : EXIT_FAILURE;
  },
});

export const labCommand = defineGroup({
  name: 'lab',
  summary: 'network-namespace testbeds with built-in real servers (root)',
  description: 'Network-namespace testbeds: the Red Hat guide\'s LVS-NAT and LVS-DR topologies with built-in\n' +
    'HTTP real servers, for the demo, the end-to-end tests and bench/lab (root).',
  commands: [up, down, status],
});
