// `tsvs lab up|down|status`: argument parsing and printing only; the work is in lab.ts.
import { parseArgs } from 'node:util';
import { labDown } from './down.js';
import { labUp, type Lab } from './lab.js';
import { DEFAULT_LAB_NAME } from './names.js';
import { LAB_ADDRS } from './plan.js';
import { formatStatus, healthy, labStatus } from './status.js';

export const LAB_USAGE = `usage: tsvs lab <up|down|status> [options]

  up nat|dr        build the Red Hat guide's LVS-NAT or LVS-DR topology in network
                   namespaces tsvs-<name>-*, start the real servers, write lvs.cf
      --servers N      real servers (1-32, default 3)
      --name NAME      lab name: lower-case letters and digits (default ${DEFAULT_LAB_NAME})
      --httpd KIND     builtin (default) or nginx (if installed)
      --no-offloads    turn veth offloads off on the router's interfaces and their peers
      --private-addr   NAT: give the router's kernel 198.19.0.2 on eth1 (e.g. for health checks)
  down [--name NAME]           end the lab's processes, delete its namespaces
  status [--name NAME] [--json]  namespaces, addresses, processes, real servers answering
`;

class UsageError extends Error {}

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
  lab.serverAddrs.forEach((a, k) => lines.push(`  ${lab.serverNames[k].padEnd(8)} ${ns.servers[k].padEnd(22)} ${a}${nat ? ` (gateway ${lab.natRouter})` : ` (VIP on lo)`}`));
  lines.push(
    `  lvs.cf   ${lab.configPath}`,
    '',
    'start the router (in its namespace):',
    `  ip netns exec ${ns.router} tsvs start -c ${lab.configPath}`,
    'then, from the client:',
    `  ip netns exec ${ns.client} curl http://${lab.vip}/`,
    `  ip netns exec ${ns.client} curl -s 'http://${lab.vip}/bytes?n=52428800' | sha256sum`,
    'see it:     tsvs lab status' + (lab.name === DEFAULT_LAB_NAME ? '' : ` --name ${lab.name}`),
    'take down:  tsvs lab down' + (lab.name === DEFAULT_LAB_NAME ? '' : ` --name ${lab.name}`),
  );
  return lines.join('\n') + '\n';
}

function nameOnly(args: string[], extra: { json?: boolean } = {}) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { name: { type: 'string' }, ...(extra.json ? { json: { type: 'boolean' as const } } : {}) },
  });
  if (positionals.length) throw new UsageError(`unexpected argument ${positionals[0]}`);
  return { name: values.name ?? DEFAULT_LAB_NAME, json: Boolean((values as { json?: boolean }).json) };
}

async function up(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      servers: { type: 'string' },
      name: { type: 'string' },
      httpd: { type: 'string' },
      'no-offloads': { type: 'boolean' },
      'private-addr': { type: 'boolean' },
    },
  });
  const mode = positionals[0];
  if (positionals.length !== 1 || (mode !== 'nat' && mode !== 'dr')) throw new UsageError('tsvs lab up nat|dr: want the routing method');
  const servers = values.servers === undefined ? 3 : Number(values.servers);
  if (!Number.isInteger(servers)) throw new UsageError(`--servers ${values.servers}: want a number`);
  const httpd = values.httpd ?? 'builtin';
  if (httpd !== 'builtin' && httpd !== 'nginx') throw new UsageError(`--httpd ${httpd}: want builtin or nginx`);
  const lab = await labUp({
    mode,
    servers,
    name: values.name ?? DEFAULT_LAB_NAME,
    httpd,
    offloads: !values['no-offloads'],
    routerPrivateAddr: Boolean(values['private-addr']),
  });
  process.stdout.write(describeLab(lab));
  return 0;
}

async function down(args: string[]): Promise<number> {
  const { name } = nameOnly(args);
  const r = await labDown(name);
  if (r.namespaces.length === 0 && r.processes.length === 0) process.stdout.write(`lab ${name}: nothing to remove\n`);
  else process.stdout.write(`lab ${name} is down: deleted ${r.namespaces.length} namespaces, ended ${r.processes.length} processes\n`);
  return 0;
}

async function status(args: string[]): Promise<number> {
  const { name, json } = nameOnly(args, { json: true });
  const s = await labStatus(name);
  process.stdout.write(json ? JSON.stringify(s, null, 2) + '\n' : formatStatus(s));
  return s.exists && healthy(s) ? 0 : 1;
}

const SUB: Record<string, (args: string[]) => Promise<number>> = { up, down, status };

/** `tsvs lab ...`: 0 ok, 1 the lab is not healthy (status) or an operation failed, 2 usage. */
export async function labCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || sub === 'help' || sub === '-h' || sub === '--help') {
    process.stdout.write(LAB_USAGE);
    return sub ? 0 : 2;
  }
  const fn = SUB[sub];
  if (!fn) {
    process.stderr.write(`tsvs lab: unknown subcommand "${sub}"\n${LAB_USAGE}`);
    return 2;
  }
  try {
    return await fn(rest);
  } catch (e) {
    const usage = e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`tsvs lab ${sub}: ${(e as Error).message}\n`);
    return usage ? 2 : 1;
  }
}
