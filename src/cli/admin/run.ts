// `tsvs admin ARGS...`: parse as ipvsadm does, then list, save, restore or
// change through the injected ControlApi, printing what ipvsadm prints and
// returning its exit status:
//   0 done; 2 a mistake in the arguments (fail(2, ...)); 255 a change the
//   table refused (ipvsadm returns libipvs's -1) or a popt error; 1 a listing
//   that failed (ipvsadm's exit(1)).
import { ApiRequestError, type ControlApi, type ConnView, type Op, type ServiceView } from '../../control/types.js';
import { parseAdmin, type ParseContext } from './args.js';
import type { AdminCommand, ServiceKey } from './command.js';
import { AdminError } from './errors.js';
import { formatConns } from './format-conn.js';
import { formatList, formatService } from './format-list.js';
import { formatTimeouts, usageText, versionText } from './format-misc.js';
import { formatSave } from './format-save.js';
import { makeNamer, systemNames, type NameService } from './names.js';
import { parseRestore } from './restore.js';
import { FUNC_OF_OP, ipvsStrerror, type IpvsFunc } from './strerror.js';
import { parseIPv6 } from '../../model/index.js';

export interface AdminIO {
  stdout(s: string): void;
  stderr(s: string): void;
  stdin(): Promise<string>;
}

export interface AdminOptions {
  names?: NameService;
  /** How messages name the program ("Try `tsvs admin -h' ..."). */
  program?: string;
  /** Connections asked for per connections() call. */
  pageSize?: number;
}

export async function adminMain(argv: readonly string[], api: ControlApi, io: AdminIO, opts: AdminOptions = {}): Promise<number> {
  const ctx: ParseContext = { names: opts.names ?? systemNames(), program: opts.program ?? 'tsvs admin' };
  try {
    const cmd = await parseAdmin(argv, ctx);
    return await execute(cmd, api, io, ctx, opts.pageSize ?? 1000);
  } catch (e) {
    if (!(e instanceof AdminError)) throw e;
    io.stderr(e.stderr);
    return e.status;
  }
}

async function execute(cmd: AdminCommand, api: ControlApi, io: AdminIO, ctx: ParseContext, pageSize: number): Promise<number> {
  const { names } = ctx;
  switch (cmd.kind) {
    case 'help':
      io.stdout(usageText(ctx.program));
      return 0;
    case 'version':
      io.stdout(versionText());
      return 0;
    case 'daemon':
      io.stderr(`${ctx.program}: tsvs runs the connection sync daemon from lvs.cf (syncdaemon = 1, syncd_iface, syncd_id), master while the router is active and backup while not; --${cmd.cmd} ${cmd.daemon.state} does nothing\n`);
      return 1;
    case 'change':
      if (cmd.refuse) throw new AdminError(`${ipvsStrerror(FUNC_OF_OP[cmd.ops[0].op], cmd.refuse)}\n`, 255);
      return change(cmd.ops, api, io, ctx);
    case 'restore':
      return change(await parseRestore(await io.stdin(), ctx), api, io, ctx);
    case 'save': {
      const view = await call(() => api.table(), 'get_services');
      const namer = await makeNamer(cmd.format.numeric, addressesOf(view.services), names);
      io.stdout(formatSave(view, namer));
      return 0;
    }
    case 'list':
      return list(cmd, api, io, ctx, pageSize);
  }
}

async function list(cmd: Extract<AdminCommand, { kind: 'list' }>, api: ControlApi, io: AdminIO, ctx: ParseContext, pageSize: number): Promise<number> {
  const { names } = ctx;
  const f = cmd.format;
  switch (cmd.what) {
    case 'timeouts': {
      // ipvsadm exits 1 without a word when it cannot read the timeouts; tsvs says why.
      const t = await call(() => api.timeouts(), 'get_timeout');
      io.stdout(f.json ? json(t) : formatTimeouts(t));
      return 0;
    }
    case 'daemon': {
      // ipvsadm prints a line per daemon running (list_daemon), nothing when none does.
      const sync = (await call(() => api.status(), 'get_daemon')).sync;
      const states = !sync ? [] : sync.role === 'both' ? ['master', 'backup'] : [sync.role];
      if (f.json) io.stdout(json(states.map((state) => ({ state, mcastInterface: sync!.iface, syncid: sync!.syncid }))));
      else io.stdout(states.map((st) => `${st} sync daemon (mcast=${sync!.iface}, syncid=${sync!.syncid})\n`).join(''));
      return 0;
    }
    case 'conns': {
      const conns = await allConnections(api, pageSize);
      if (f.json) io.stdout(json({ total: conns.length, offset: 0, conns }));
      else io.stdout(formatConns(conns, f.persistentConn, await makeNamer(f.numeric, conns.flatMap((c) => [c.client, c.virtual, c.dest]), names)));
      return 0;
    }
    case 'service': {
      const view = await call(() => api.table(), 'get_service');
      const svc = findService(view.services, cmd.service);
      if (!svc) throw new AdminError(`${ipvsStrerror('get_service', 'ESRCH')}\n`, 1);
      io.stdout(f.json ? json(svc) : formatService(svc, f, await makeNamer(f.numeric, addressesOf([svc]), names)));
      return 0;
    }
    case 'all': {
      const view = await call(() => api.table(), 'get_services');
      io.stdout(f.json ? json(view) : formatList(view, f, await makeNamer(f.numeric, addressesOf(view.services), names)));
      return 0;
    }
  }
}

/** One change() for all the Ops; a refusal prints ipvsadm's message for the Op that failed. */
async function change(ops: Op[], api: ControlApi, io: AdminIO, ctx: ParseContext): Promise<number> {
  if (ops.length === 0) return 0;
  try {
    const res = await api.change(ops);
    for (const w of res.warnings) io.stderr(`${ctx.program}: warning: ${w}\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof ApiRequestError)) throw unreachable(e);
    const failed = ops[e.error.index ?? 0] ?? ops[0];
    // ipvsadm: fprintf(stderr, "%s\n", ipvs_strerror(errno)) and main returns -1.
    throw new AdminError(`${ipvsStrerror(FUNC_OF_OP[failed.op], e.error.code, e.error.message)}\n`, 255);
  }
}

/** A read of the table: a refusal is ipvsadm's exit(1) after the message. */
async function call<T>(fn: () => Promise<T>, func: IpvsFunc): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ApiRequestError) throw new AdminError(`${ipvsStrerror(func, e.error.code, e.error.message)}\n`, 1);
    throw unreachable(e);
  }
}

/**
 * The router cannot be reached at all. ipvsadm's equivalent is "Can't
 * initialize ipvs: ... Are you sure that IP Virtual Server is built in the
 * kernel or as module?" with status 2.
 */
function unreachable(e: unknown): AdminError {
  const why = e instanceof Error ? e.message : String(e);
  // A client refused by the socket's permissions reached a running router: no hint to start one.
  const denied = (e as { code?: string } | null)?.code === 'EPERM';
  return new AdminError(`Can't reach the tsvs control API: ${why}\n${denied ? '' : 'Is the router running (tsvs start)?\n'}`, 2);
}

/** -c reads the whole table, a page at a time. */
async function allConnections(api: ControlApi, pageSize: number): Promise<ConnView[]> {
  const conns: ConnView[] = [];
  for (;;) {
    const page = await call(() => api.connections(conns.length, pageSize), 'get_conns');
    conns.push(...page.conns);
    if (page.conns.length === 0 || conns.length >= page.total) return conns;
  }
}

function addressesOf(services: readonly { fwmark: number; address: string; servers: readonly { address: string }[] }[]): string[] {
  return services.flatMap((s) => [...(s.fwmark ? [] : [s.address]), ...s.servers.map((d) => d.address)]);
}

/** ipvs_get_service(): by mark and family, or by protocol, address and port (IPv6 compared in canonical text). SCTP services cannot exist here. */
function findService(services: readonly ServiceView[], key: ServiceKey): ServiceView | undefined {
  if ('fwmark' in key) return services.find((s) => s.fwmark === key.fwmark && (s.ipv6 === true) === (key.af === 6));
  const address = key.af === 6 ? parseIPv6(key.address) ?? key.address : key.address;
  return services.find((s) => !s.fwmark && s.protocol === key.protocol && s.address === address && s.port === key.port);
}

const json = (x: unknown): string => `${JSON.stringify(x, null, 2)}\n`;
