// `tsvs lab status`: the lab's namespaces and their addresses, its processes,
// and whether each real server answers HTTP from inside its own namespace.
import { checkLabName, isLabNamespace, stateDir } from './names.js';
import { netnsList, netnsPids, nsAddresses, nsRun } from './netns.js';
import { isAlive, type ProcRecord } from './procs.js';
import { readState, type LabState } from './state.js';

export interface NamespaceStatus {
  ns: string;
  exists: boolean;
  /** device -> IPv4 (and global IPv6) addresses with prefix. */
  addresses: Record<string, string[]>;
  pids: number[];
}

export interface ServerStatus {
  name: string;
  ns: string;
  addr: string;
  answers: boolean;
  /** The first line of GET / (e.g. "rs1 198.19.0.11"), or why it failed. */
  reply: string;
  /** --ipv6 lab: its IPv6 address, also asked GET / (answers is true only when both answer). */
  addr6?: string;
}

export interface LabStatus {
  name: string;
  /** False when there is neither a state file nor any namespace of the lab. */
  exists: boolean;
  state: LabState | null;
  namespaces: NamespaceStatus[];
  processes: Array<ProcRecord & { alive: boolean }>;
  servers: ServerStatus[];
  /** Namespaces with the lab's prefix that state.json does not list (a crashed run). */
  leftovers: string[];
}

export async function labStatus(name: string): Promise<LabStatus> {
  checkLabName(name);
  const state = readState(stateDir(name));
  const existing = await netnsList();
  const ours = existing.filter((ns) => isLabNamespace(name, ns));
  const listed = state?.namespaces.all ?? [];
  const leftovers = ours.filter((ns) => !listed.includes(ns));
  const namespaces = await Promise.all(
    [...listed, ...leftovers].map(async (ns): Promise<NamespaceStatus> => {
      const exists = existing.includes(ns);
      return { ns, exists, addresses: exists ? await nsAddresses(ns) : {}, pids: exists ? await netnsPids(ns) : [] };
    }),
  );
  const processes = (state?.processes ?? []).map((p) => ({ ...p, alive: isAlive(p.pid, p.startTime) }));
  const servers = state
    ? await Promise.all(
        state.serverNames.map(async (sname, k): Promise<ServerStatus> => {
          const ns = state.namespaces.servers[k];
          const addr = state.serverAddrs[k];
          if (!existing.includes(ns)) return { name: sname, ns, addr, answers: false, reply: 'namespace missing' };
          const addr6 = state.v6?.serverAddrs[k];
          const get = async (url: string): Promise<{ ok: boolean; reply: string }> => {
            const r = await nsRun(ns, ['curl', '-g', '-sS', '--max-time', '2', url], { timeoutMs: 5000 });
            const reply = (r.code === 0 ? r.stdout : r.stderr).trim().split('\n')[0] ?? '';
            return { ok: r.code === 0, reply: reply || `curl exit ${r.code}` };
          };
          const v4 = await get(`http://${addr}/`);
          const v6 = addr6 === undefined ? null : await get(`http://[${addr6}]/`);
          const reply = v6 && !v6.ok ? `${v4.ok ? '' : `${v4.reply}; `}IPv6: ${v6.reply}` : v4.reply;
          return { name: sname, ns, addr, answers: v4.ok && (v6?.ok ?? true), reply, ...(addr6 !== undefined ? { addr6 } : {}) };
        }),
      )
    : [];
  return { name, exists: state !== null || ours.length > 0, state, namespaces, processes, servers, leftovers };
}

export function formatStatus(s: LabStatus): string {
  if (!s.exists) return `no lab "${s.name}"\n`;
  const out: string[] = [];
  const st = s.state;
  if (st) {
    out.push(`lab ${s.name}: ${st.mode === 'nat' ? 'LVS-NAT' : 'LVS-DR'}, ${st.serverNames.length} real servers, httpd ${st.httpd}, offloads ${st.offloads ? 'on' : 'off'}, since ${st.createdAt}`);
    out.push(`  lvs.cf: ${st.configPath}`);
  } else {
    out.push(`lab ${s.name}: no state file; leftovers of a crashed run (tsvs lab down --name ${s.name} removes them)`);
  }
  out.push('namespaces:');
  for (const n of s.namespaces) {
    const addrs = Object.entries(n.addresses)
      .filter(([dev]) => dev !== 'lo' || n.addresses[dev].some((a) => !a.startsWith('127.')))
      .map(([dev, list]) => `${dev} ${list.filter((a) => !a.startsWith('127.')).join(',')}`)
      .join('  ');
    const extra = s.leftovers.includes(n.ns) ? ' (leftover)' : '';
    out.push(`  ${n.ns.padEnd(24)} ${n.exists ? addrs || '-' : 'MISSING'}${n.pids.length ? `  pids ${n.pids.join(',')}` : ''}${extra}`);
  }
  if (s.processes.length) {
    out.push('processes:');
    for (const p of s.processes) out.push(`  ${String(p.pid).padStart(7)} ${p.alive ? 'alive' : 'DEAD '} ${p.label} (${p.ns})`);
  }
  if (s.servers.length) {
    out.push(`real servers (GET / from their own namespace${s.servers.some((r) => r.addr6) ? ', over IPv4 and IPv6' : ''}):`);
    for (const r of s.servers) out.push(`  ${r.name.padEnd(5)} ${(r.addr6 ? `${r.addr} ${r.addr6}` : r.addr).padEnd(15)} ${r.answers ? 'ok  ' : 'FAIL'} ${r.reply}`);
  }
  return out.join('\n') + '\n';
}

/** True when everything recorded exists, runs and answers. */
export function healthy(s: LabStatus): boolean {
  return s.exists && s.state !== null && s.namespaces.every((n) => n.exists) && s.processes.every((p) => p.alive) && s.servers.every((r) => r.answers);
}
