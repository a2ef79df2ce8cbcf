// tsvs admin and tsvs top as a user runs them: the built CLI in a child process,
// talking to the router's control socket. The socket is a file, so it is reached
// from the root namespace without entering the router's (the network namespace
// plays no part in a unix socket's path), and -R reads its stdin as from a shell.
// Listings always pass -n: without it ipvsadm (and tsvs admin) asks the resolver
// for names, and nothing here may leave the lab's namespaces.
import { spawn } from 'node:child_process';
import type { TableView } from '../../src/control/types.js';
import { MAIN } from './harness.js';

export interface CliRun {
  code: number | null;
  out: string;
  err: string;
}

export interface CliOptions {
  input?: string;
  /** Run as user nobody (uid and gid 65534, no groups). */
  asNobody?: boolean;
  /** Read nothing of stdout for this long, as a slow pipe reader would: the command must wait, not exit early. */
  stallMs?: number;
  timeoutMs?: number;
}

/** `node dist/src/cli/main.js ARGS`. */
export function cli(args: string[], o: CliOptions = {}): Promise<CliRun> {
  const node = [process.execPath, MAIN, ...args];
  const cmd = o.asNobody ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...node] : node;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd[0], cmd.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], timeout: o.timeoutMs ?? 20_000 });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    if (o.stallMs) {
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), o.stallMs);
    }
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
    child.stdin.end(o.input ?? '');
  });
}

export class Admin {
  constructor(readonly socket: string) {}

  /** `tsvs admin --control-socket SOCK ARGS`. */
  run(args: string[], o: CliOptions = {}): Promise<CliRun> {
    return cli(['admin', '--control-socket', this.socket, ...args], o);
  }

  /** Its stdout; throws with its stderr unless it exits 0. */
  async ok(args: string[], input?: string, o: CliOptions = {}): Promise<string> {
    const r = await this.run(args, { ...o, ...(input === undefined ? {} : { input }) });
    if (r.code !== 0) throw new Error(`tsvs admin ${args.join(' ')}: exit ${r.code}: ${r.err.trim()}`);
    return r.out;
  }

  /** `-L -n --json`. */
  async table(): Promise<TableView> {
    return JSON.parse(await this.ok(['-L', '-n', '--json'])) as TableView;
  }

  /** `-R` of `-C` then `rules`: the whole table replaced, as one change. */
  install(rules: string[]): Promise<string> {
    return this.ok(['-R'], ['-C', ...rules].join('\n') + '\n');
  }
}

/** ipvsadm lines for a TCP service VIP:port whose servers (NAT, weight 1) listen on port 80. */
export function service(vip: string, port: number, servers: readonly string[], scheduler = 'rr'): string[] {
  return [`-A -t ${vip}:${port} -s ${scheduler}`, ...servers.map((a) => `-a -t ${vip}:${port} -r ${a}:80 -m -w 1`)];
}

export interface Row {
  /** ADDR:PORT as listed. */
  name: string;
  /** The five numeric columns: Conns InPkts OutPkts InBytes OutBytes, or CPS InPPS OutPPS InBPS OutBPS. */
  values: number[];
}

/** `-L -n --stats --exact` or `--rate --exact`: each service line with its server lines, as numbers. */
export function parseCounters(text: string): Array<Row & { servers: Row[] }> {
  const out: Array<Row & { servers: Row[] }> = [];
  for (const line of text.split('\n')) {
    const svc = /^(?:TCP|UDP)\s+(\S+)\s+(\d+(?:\s+\d+){4})\s*$/.exec(line);
    const rs = /^\s+-> (\S+)\s+(\d+(?:\s+\d+){4})\s*$/.exec(line);
    const m = svc ?? rs;
    if (!m) continue;
    const row = { name: m[1], values: m[2].trim().split(/\s+/).map(Number) };
    if (svc) out.push({ ...row, servers: [] });
    else out.at(-1)?.servers.push(row);
  }
  return out;
}
