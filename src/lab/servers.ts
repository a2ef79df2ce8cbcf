// Starts the real servers' HTTP daemons inside their namespaces: the built-in
// httpd (node, compiled dist/src/lab/httpd.js) or nginx when it is installed.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LabError, nsRun } from './netns.js';
import { endProcesses, firstLine, spawnInNs, type ProcRecord } from './procs.js';

export type HttpdKind = 'builtin' | 'nginx';

export interface ServerSpec {
  ns: string;
  name: string;
  addr: string;
  /** Dual stack: listen on [::]:80 (IPv4 and IPv6) instead of 0.0.0.0:80. */
  ipv6?: boolean;
}

const READY_MS = 15_000;

/**
 * The built-in httpd as a file node can run: next to this module when running
 * compiled; from a running-from-source checkout (vitest), dist/src/lab/httpd.js
 * if it is at least as new as the source, else the source transpiled into `cacheDir`.
 */
export async function httpdScript(cacheDir: string): Promise<string> {
  const here = fileURLToPath(import.meta.url);
  const sibling = join(dirname(here), 'httpd.js');
  if (here.endsWith('.js') && existsSync(sibling)) return sibling;
  const repo = join(dirname(here), '..', '..');
  const src = join(repo, 'src', 'lab', 'httpd.ts');
  const built = join(repo, 'dist', 'src', 'lab', 'httpd.js');
  if (existsSync(built) && (!existsSync(src) || statSync(built).mtimeMs >= statSync(src).mtimeMs)) return built;
  if (!existsSync(src)) throw new LabError(`cannot find the built-in httpd (${built}): run npm run build`);
  let ts: typeof import('typescript');
  try {
    ts = (await import('typescript')).default;
  } catch {
    throw new LabError(`${built} is missing or older than ${src}: run npm run build`);
  }
  const out = ts.transpileModule(readFileSync(src, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    fileName: src,
  });
  const path = join(cacheDir, 'httpd.mjs');
  writeFileSync(path, out.outputText);
  return path;
}

export function findNginx(): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  for (const d of dirs) {
    if (d && existsSync(join(d, 'nginx'))) return join(d, 'nginx');
  }
  return null;
}

export const NGINX_MISSING = 'nginx is not installed (Debian: apt-get install nginx-light, or nginx); use --httpd builtin';

/** Starts every server, in parallel; on any failure ends the ones that started and throws. */
export async function startServers(kind: HttpdKind, specs: ServerSpec[], stateDir: string): Promise<ProcRecord[]> {
  const start = kind === 'nginx' ? startNginx : startBuiltin;
  const script = kind === 'builtin' ? await httpdScript(stateDir) : findNginx();
  if (script === null) throw new LabError(NGINX_MISSING);
  const results = await Promise.allSettled(specs.map((s) => start(s, script, stateDir)));
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await endProcesses(started);
    throw failed.reason;
  }
  return started;
}

async function startBuiltin(s: ServerSpec, script: string, stateDir: string): Promise<ProcRecord> {
  const logPath = join(stateDir, `${s.name}.log`);
  const cmd = [process.execPath, script, '--port', '80', '--name', s.name, '--addr', s.addr, ...(s.ipv6 ? ['--host', '::'] : [])];
  const { child, record } = spawnInNs(s.ns, cmd, { label: `httpd ${s.name}`, logPath, pipeStdout: true });
  try {
    await firstLine(child, READY_MS, `httpd ${s.name} in ${s.ns} (log: ${logPath})`);
  } catch (e) {
    await endProcesses([record], 500);
    throw new LabError(`${(e as Error).message}${tail(logPath)}`);
  } finally {
    child.stdout?.destroy();
    child.unref();
  }
  return record;
}

export function nginxConf(s: ServerSpec, dir: string): string {
  return `# nginx for lab real server ${s.name} (written by tsvs lab)
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 8192; }
http {
    access_log off;
    client_body_temp_path ${dir}/tmp/body;
    proxy_temp_path ${dir}/tmp/proxy;
    fastcgi_temp_path ${dir}/tmp/fastcgi;
    uwsgi_temp_path ${dir}/tmp/uwsgi;
    scgi_temp_path ${dir}/tmp/scgi;
    keepalive_timeout 65s;
    keepalive_requests 1000000;
    server {
        listen 80 backlog=4096;${s.ipv6 ? '\n        listen [::]:80 ipv6only=on backlog=4096;' : ''}
        location = / {
            default_type text/plain;
            add_header X-Server ${s.name};
            return 200 "${s.name} ${s.addr}\\n";
        }
    }
}
`;
}

async function startNginx(s: ServerSpec, nginx: string, stateDir: string): Promise<ProcRecord> {
  const dir = join(stateDir, `nginx-${s.name}`);
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConf(s, dir));
  const logPath = join(dir, 'stderr.log');
  const { child, record } = spawnInNs(s.ns, [nginx, '-p', dir, '-c', conf, '-e', join(dir, 'error.log')], { label: `nginx ${s.name}`, logPath });
  child.unref();
  // nginx prints no ready line: ask it, from inside its namespace, until it answers (bounded).
  const until = Date.now() + READY_MS;
  while (Date.now() < until) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    const r = await nsRun(s.ns, ['curl', '-s', '-o', '/dev/null', '--max-time', '1', `http://${s.addr}/`], { timeoutMs: 3000 });
    if (r.code === 0) return record;
    await new Promise((res) => setTimeout(res, 50));
  }
  await endProcesses([record], 500);
  throw new LabError(`nginx for ${s.name} in ${s.ns} did not answer within ${READY_MS} ms${tail(logPath)}${tail(join(dir, 'error.log'))}`);
}

function tail(path: string): string {
  try {
    const t = readFileSync(path, 'utf8').trim().split('\n').slice(-3).join('; ');
    return t ? `: ${t}` : '';
  } catch {
    return '';
  }
}
