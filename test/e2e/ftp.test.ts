// FTP through the NAT router (root): Debian's vsftpd on a real server behind a plain
// virtual service on port 21 (no firewall mark, no persistence), and curl as the
// client, in passive mode (PASV: the 227 reply rewritten; EPSV: 229 read) and in
// active mode (PORT, EPRT: the server's connection from port 20 leaving with the
// VIP as source). The server listens on 198.19.0.111, one character longer in a 227
// reply than the VIP 198.18.0.10, so every PASV shifts the control connection's
// sequence numbers and the helper's offsets carry the rest of the session. A
// directory listing and a 50 MB file (sha256) each way; with the veths' offloads off
// and on (CHECKSUM_PARTIAL control segments, GSO data).
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabProcess } from '../../src/lab/index.js';
import { ROOT, sleep, stats, upWithRouter, type Running } from './harness.js';

const VSFTPD = '/usr/sbin/vsftpd';
const HAVE = ROOT && (() => { try { readFileSync(VSFTPD); return true; } catch { return false; } })();
const FTP_ADDR = '198.19.0.111';
const MB50 = 50 * 1024 * 1024;

const FTP_VIRTUAL = `
virtual ftp {
    active = 1
    address = 198.18.0.10 eth0:1
    port = 21
    scheduler = rr
    protocol = tcp
    checks = none

    server ftp1 {
        address = ${FTP_ADDR}
        active = 1
        port = 21
        weight = 1
    }
}
`;

function vsftpdConf(root: string): string {
  return [
    'listen=YES', 'listen_ipv6=NO', 'background=NO', `listen_address=${FTP_ADDR}`,
    'anonymous_enable=YES', 'no_anon_password=YES', `anon_root=${root}`, 'local_enable=NO', 'write_enable=NO',
    // Active mode from port 20, as the helper expects (the real server's port - 1).
    'connect_from_port_20=YES', 'pasv_enable=YES', 'pasv_min_port=50000', 'pasv_max_port=50100',
    'seccomp_sandbox=NO', 'secure_chroot_dir=/var/run/vsftpd/empty', 'xferlog_enable=NO', 'syslog_enable=NO',
    'use_localtime=NO', 'idle_session_timeout=60', 'data_connection_timeout=60',
  ].join('\n') + '\n';
}

for (const offloads of [false, true]) {
describe.skipIf(!HAVE)(`FTP through the NAT router with the helper, offloads ${offloads ? 'on' : 'off'}${HAVE ? '' : ' [skipped: needs root and vsftpd]'}`, () => {
  let r: Running;
  let dir = '';
  let sha = '';
  let ftpd: LabProcess | undefined;
  const curl = async (args: string[], timeoutS = 15): Promise<string> => {
    const res = await r.lab.exec('client', ['sh', '-c', `curl -sS -m ${timeoutS} ${args.join(' ')}`], { timeoutMs: (timeoutS + 5) * 1000 });
    if (res.code !== 0) throw new Error(`curl ${args.join(' ')}: ${res.code} ${res.stderr}\nrouter: ${r.router.log().slice(-1000)}\nvsftpd: ${ftpd?.log().slice(-1000)}`);
    return res.stdout;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tsvs-ftp-'));
    const root = join(dir, 'pub');
    writeFileSync(join(dir, 'vsftpd.conf'), vsftpdConf(root));
    // vsftpd chroots the anonymous user into anon_root, which must not be writable by it.
    mkdirSync(root, { mode: 0o755 });
    const data = Buffer.alloc(MB50);
    for (let k = 0; k < MB50; k += 4) data.writeUInt32BE((k * 2654435761) >>> 0, k);
    writeFileSync(join(root, 'big.bin'), data);
    writeFileSync(join(root, 'hello.txt'), 'hello\n');
    sha = createHash('sha256').update(data).digest('hex');
    chmodSync(dir, 0o755);
    r = await upWithRouter({ mode: 'nat', backend: 'native', offloads, edit: (cf) => cf + FTP_VIRTUAL });
    const rs = r.lab.serverNames[0];
    await r.lab.exec(rs, ['ip', 'addr', 'add', `${FTP_ADDR}/24`, 'dev', 'eth0'], { check: true });
    ftpd = r.lab.spawn(rs, [VSFTPD, join(dir, 'vsftpd.conf')], { label: 'vsftpd' });
    for (let k = 0; k < 50; k++) {
      const probe = await r.lab.exec(rs, ['bash', '-c', `exec 3<>/dev/tcp/${FTP_ADDR}/21 && head -c 3 <&3`]).catch(() => ({ stdout: '' }));
      if (probe.stdout.startsWith('220')) break;
      if (!ftpd.alive()) throw new Error(`vsftpd exited: ${ftpd.log()}`);
      await sleep(100);
    }
  }, 90_000);

  afterAll(async () => {
    await ftpd?.stop(2000);
    await r?.lab.down();
    if (dir) rmSync(dir, { force: true, recursive: true });
  }, 60_000);

  it('passive mode, PASV (227 rewritten): a listing and a 50 MB file intact', async () => {
    const list = await curl(['--disable-epsv', `ftp://${r.lab.vip}/`]);
    expect(list).toMatch(/big\.bin/);
    expect(list).toMatch(/hello\.txt/);
    const got = await curl(['--disable-epsv', `ftp://${r.lab.vip}/big.bin`, '| sha256sum'], 40);
    expect(got.split(' ')[0]).toBe(sha);
  }, 70_000);

  it('passive mode, EPSV (229): a listing', async () => {
    expect(await curl([`ftp://${r.lab.vip}/hello.txt`])).toBe('hello\n');
    expect(await curl([`ftp://${r.lab.vip}/`])).toMatch(/big\.bin/);
  }, 60_000);

  it('active mode, PORT: a listing and a 50 MB file intact, the server connecting from port 20 through the router', async () => {
    const list = await curl(['-P', '198.18.0.100', '--disable-eprt', `ftp://${r.lab.vip}/`]);
    expect(list).toMatch(/big\.bin/);
    const got = await curl(['-P', '198.18.0.100', '--disable-eprt', `ftp://${r.lab.vip}/big.bin`, '| sha256sum'], 40);
    expect(got.split(' ')[0]).toBe(sha);
  }, 70_000);

  it('active mode, EPRT: a listing; and several files over one control connection (offsets carried through)', async () => {
    expect(await curl(['-P', '198.18.0.100', `ftp://${r.lab.vip}/`])).toMatch(/hello\.txt/);
    // One session, several PASV replies: each shifts the offset by one more byte.
    const many = await curl(['--disable-epsv', `ftp://${r.lab.vip}/hello.txt`, `ftp://${r.lab.vip}/hello.txt`, `ftp://${r.lab.vip}/hello.txt`]);
    expect(many).toBe('hello\n'.repeat(3));
    await sleep(1300); // the stats file is rewritten every second
    const c = stats(r.statsPath).counters;
    expect(c.ftp_replies_rewritten).toBeGreaterThanOrEqual(5);
    expect(c.ftp_data_conns).toBeGreaterThanOrEqual(10);
    expect(c.ftp_no_room ?? 0).toBe(0);
  }, 60_000);
});
}
