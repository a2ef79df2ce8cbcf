// FTP data through the router's FTP helper against plain TCP (root): the NAT lab
// with one real server running Debian's vsftpd beside the lab's httpd, tsvs as the
// router (native backend), and curl in the client namespace downloading the same
// number of bytes as an HTTP body through the VIP's port 80 (a plain NAT
// connection), and as an FTP file in passive mode (PASV: the 227 reply rewritten,
// the data connection announced) and in active mode (PORT: the server's
// connection from port 20 made in advance). The data connections themselves are
// plain NAT connections, so the figures should match; the control connection's
// cost shows only in the time to the first byte. Medians of `repeats` runs.
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fillPattern, labUp, patternSha, type Lab, type LabProcess } from '../../src/lab/index.js';
import type { Row } from '../lib/report.js';

const VSFTPD = '/usr/sbin/vsftpd';
const MAIN = join(process.cwd(), 'dist/src/cli/main.js');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

interface Transfer {
  name: string;
  url: (lab: Lab) => string;
  args: string[];
}

const TRANSFERS: Transfer[] = [
  { name: 'plain TCP (HTTP body, port 80)', url: (l) => `http://${l.vip}/bytes?n=${bytes}`, args: [] },
  { name: 'FTP passive (PASV, 227 rewritten)', url: (l) => `ftp://${l.vip}/big.bin`, args: ['--disable-epsv'] },
  { name: 'FTP active (PORT, from port 20)', url: (l) => `ftp://${l.vip}/big.bin`, args: ['-P', '198.18.0.100', '--disable-eprt'] },
];
let bytes = 50 * 1024 * 1024;

export async function runFtpBench(o: { quick?: boolean } = {}): Promise<Row[]> {
  if (process.getuid?.() !== 0) return [{ benchmark: 'ftp', note: 'skipped: needs root (network namespaces)' }];
  try {
    readFileSync(VSFTPD);
  } catch {
    return [{ benchmark: 'ftp', note: 'skipped: vsftpd is not installed (scripts/setup.sh installs it)' }];
  }
  bytes = (o.quick ? 20 : 50) * 1024 * 1024;
  const repeats = o.quick ? 2 : 5;
  const rows: Row[] = [];
  for (const offloads of [false, true]) rows.push(...(await oneLab(offloads, repeats)));
  return rows;
}

async function oneLab(offloads: boolean, repeats: number): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tsvs-ftpbench-'));
  const lab = await labUp({ mode: 'nat', servers: 1, name: `ftpb${process.pid % 10000}${offloads ? 1 : 0}`, offloads });
  let router: LabProcess | undefined, ftpd: LabProcess | undefined;
  try {
    const root = join(dir, 'pub');
    mkdirSync(root, { mode: 0o755 });
    chmodSync(dir, 0o755);
    // The same bytes the lab's httpd sends for /bytes?n=: one sha256 for both.
    const data = Buffer.alloc(bytes);
    fillPattern(data, 0);
    writeFileSync(join(root, 'big.bin'), data);
    const want = patternSha(bytes);
    if (createHash('sha256').update(data).digest('hex') !== want) throw new Error('pattern mismatch');
    const addr = lab.serverAddrs[0];
    writeFileSync(join(dir, 'vsftpd.conf'), [
      'listen=YES', 'listen_ipv6=NO', 'background=NO', `listen_address=${addr}`, 'anonymous_enable=YES', 'no_anon_password=YES',
      `anon_root=${root}`, 'local_enable=NO', 'write_enable=NO', 'connect_from_port_20=YES', 'pasv_min_port=50000', 'pasv_max_port=50100',
      'seccomp_sandbox=NO', 'secure_chroot_dir=/var/run/vsftpd/empty', 'xferlog_enable=NO', 'syslog_enable=NO',
    ].join('\n') + '\n');
    writeFileSync(lab.configPath, readFileSync(lab.configPath, 'utf8') + [
      '', 'virtual ftp {', '    active = 1', `    address = ${lab.vip} eth0:1`, '    port = 21', '    protocol = tcp', '    checks = none',
      '    server ftp1 {', `        address = ${addr}`, '        active = 1', '        port = 21', '    }', '}', '',
    ].join('\n'));
    ftpd = lab.spawn(lab.serverNames[0], [VSFTPD, join(dir, 'vsftpd.conf')], { label: 'vsftpd' });
    router = lab.spawn('router', [process.execPath, MAIN, 'start', '-c', lab.configPath, '--backend', 'native', '--control-socket', join(lab.stateDir, 'tsvs.sock')], { label: 'router' });
    for (let k = 0; ; k++) {
      // The HTTP service's server is in the table after its first health check.
      const r = await lab.exec('client', ['curl', '-s', '-m', '1', `ftp://${lab.vip}/`]);
      const h = await lab.exec('client', ['curl', '-s', '-m', '1', `http://${lab.vip}/`]);
      if (r.code === 0 && r.stdout.includes('big.bin') && h.stdout.startsWith('rs')) break;
      if (k > 100 || !router.alive()) throw new Error(`not serving FTP: ${router.log().slice(-1500)} ${ftpd.log().slice(-500)}`);
      await sleep(200);
    }
    const rows: Row[] = [];
    for (const t of TRANSFERS) {
      const rates: number[] = [], firsts: number[] = [];
      for (let k = 0; k < repeats; k++) {
        const r = await lab.exec('client', ['sh', '-c', `curl -sS -m 60 ${t.args.join(' ')} -w '%{time_starttransfer} %{time_total} %{size_download}\\n' -o /dev/null '${t.url(lab)}'`], { timeoutMs: 65_000 });
        const [first, total, size] = r.stdout.trim().split(' ').map(Number);
        if (r.code !== 0 || size !== bytes) throw new Error(`${t.name}: curl ${r.code} ${r.stderr} size ${size}`);
        rates.push(bytes / (total - first) / 1e6);
        firsts.push(first * 1000);
      }
      rows.push({ benchmark: `${t.name}, offloads ${offloads ? 'on' : 'off'}`, 'MB/s': Number(median(rates).toFixed(0)), 'first byte ms': Number(median(firsts).toFixed(1)), runs: repeats, 'MiB each': bytes / 1024 / 1024 });
    }
    return rows;
  } finally {
    await ftpd?.stop(2000);
    await router?.stop(3000);
    await lab.down();
    rmSync(dir, { force: true, recursive: true });
  }
}
