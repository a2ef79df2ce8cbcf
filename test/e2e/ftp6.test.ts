// FTP over IPv6 through the NAT router (root): Debian's vsftpd listening on a real
// server's IPv6 address (2001:2::/48, the dual-stack lab) behind a v6 virtual
// service on port 21, and curl -6 as the client: passive mode (curl's default
// EPSV: the 229 reply read, the client's data connection to [VIP6]:port expected)
// and active mode (curl --ftp-port -: EPRT |2|, the server's connection from port
// 20 leaving with the v6 VIP as source). A listing and a 4 MB file (sha256) each way.
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabProcess } from '../../src/lab/index.js';
import { loadNative } from '../../src/io/native.js';
import { ROOT, sleep, stats, upWithRouter, type Running } from './harness.js';

const VSFTPD = '/usr/sbin/vsftpd';
const HAVE = ROOT && loadNative().addon !== null && (() => { try { readFileSync(VSFTPD); return true; } catch { return false; } })();
const MB4 = 4 * 1024 * 1024;

/** A v6 FTP service on the lab's v6 VIP with the first real server's v6 address (read from the lab's lvs.cf). */
function addFtp6(cf: string): string {
  const vip = /address = (2001:\S+) eth0:1/.exec(cf)![1];
  const rs = /^ {8}address = (2001:\S+)$/m.exec(cf)![1];
  return `${cf}\nvirtual ftp6 {\n    active = 1\n    address = ${vip} eth0:1\n    port = 21\n    scheduler = rr\n    protocol = tcp\n    checks = none\n` +
    `\n    server ftp1 {\n        address = ${rs}\n        active = 1\n        port = 21\n        weight = 1\n    }\n}\n`;
}

function vsftpdConf(root: string, addr6: string): string {
  return [
    'listen=NO', 'listen_ipv6=YES', `listen_address6=${addr6}`, 'background=NO',
    'anonymous_enable=YES', 'no_anon_password=YES', `anon_root=${root}`, 'local_enable=NO', 'write_enable=NO',
    // Active mode from port 20, as the helper expects (the real server's port - 1).
    'connect_from_port_20=YES', 'pasv_enable=YES', 'pasv_min_port=50000', 'pasv_max_port=50100',
    'seccomp_sandbox=NO', 'secure_chroot_dir=/var/run/vsftpd/empty', 'xferlog_enable=NO', 'syslog_enable=NO',
    'use_localtime=NO', 'idle_session_timeout=60', 'data_connection_timeout=60',
  ].join('\n') + '\n';
}

describe.skipIf(!HAVE)(`FTP over IPv6 through the NAT router with the helper${HAVE ? '' : ' [skipped: needs root, the native addon and vsftpd]'}`, () => {
  let r: Running | undefined;
  let dir = '';
  let sha = '';
  let ftpd: LabProcess | undefined;
  let url = '';
  const curl = async (args: string[], timeoutS = 15): Promise<string> => {
    const res = await r!.lab.exec('client', ['sh', '-c', `curl -6 -g -sS -m ${timeoutS} ${args.join(' ')}`], { timeoutMs: (timeoutS + 5) * 1000 });
    if (res.code !== 0) throw new Error(`curl ${args.join(' ')}: ${res.code} ${res.stderr}\nrouter: ${r!.router.log().slice(-1000)}\nvsftpd: ${ftpd?.log().slice(-1000)}`);
    return res.stdout;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tsvs-ftp6-'));
    const root = join(dir, 'pub');
    // vsftpd chroots the anonymous user into anon_root, which must not be writable by it.
    mkdirSync(root, { mode: 0o755 });
    const data = Buffer.alloc(MB4);
    for (let k = 0; k < MB4; k += 4) data.writeUInt32BE((k * 2654435761) >>> 0, k);
    writeFileSync(join(root, 'big.bin'), data);
    writeFileSync(join(root, 'hello.txt'), 'hello\n');
    sha = createHash('sha256').update(data).digest('hex');
    chmodSync(dir, 0o755);
    r = await upWithRouter({ mode: 'nat', backend: 'native', ipv6: true, edit: addFtp6 });
    try {
      const lab = r.lab;
      const rs = lab.serverNames[0];
      const addr6 = lab.v6!.serverAddrs[0];
      url = `ftp://[${lab.v6!.vip}]`;
      writeFileSync(join(dir, 'vsftpd.conf'), vsftpdConf(root, addr6));
      ftpd = lab.spawn(rs, [VSFTPD, join(dir, 'vsftpd.conf')], { label: 'vsftpd' });
      let up = false;
      for (let k = 0; k < 50 && !up; k++) {
        const probe = await lab.exec(rs, ['bash', '-c', `exec 3<>/dev/tcp/${addr6}/21 && head -c 3 <&3`]).catch(() => ({ stdout: '' }));
        up = probe.stdout.startsWith('220');
        if (!ftpd.alive()) throw new Error(`vsftpd exited: ${ftpd.log()}`);
        if (!up) await sleep(100);
      }
      if (!up) throw new Error(`vsftpd does not answer on [${addr6}]:21: ${ftpd.log()}`);
      // The v6 service comes with the table (no checks): wait until the VIP answers through the router.
      for (let k = 0; ; k++) {
        const res = await lab.exec('client', ['curl', '-6', '-g', '-sS', '-m', '2', `${url}/hello.txt`], { timeoutMs: 5000 });
        if (res.code === 0 && res.stdout === 'hello\n') break;
        if (k === 30) throw new Error(`[VIP6]:21 does not serve: ${res.stderr}\n${r.router.log().slice(-1500)}`);
        await sleep(200);
      }
    } catch (e) {
      await ftpd?.stop(2000);
      await r.lab.down();
      r = undefined;
      throw e;
    }
  }, 90_000);

  afterAll(async () => {
    await ftpd?.stop(2000);
    await r?.lab.down();
    if (dir) rmSync(dir, { force: true, recursive: true });
  }, 60_000);

  it('passive mode, EPSV (229): a listing and a 4 MB file intact', async () => {
    const list = await curl([`'${url}/'`]);
    expect(list).toMatch(/big\.bin/);
    expect(list).toMatch(/hello\.txt/);
    const got = await curl([`'${url}/big.bin'`, '| sha256sum'], 30);
    expect(got.split(' ')[0]).toBe(sha);
  }, 60_000);

  it('active mode, EPRT |2|: a listing and a 4 MB file intact, the server connecting from port 20 through the router', async () => {
    const list = await curl(['--ftp-port', '-', `'${url}/'`]);
    expect(list).toMatch(/big\.bin/);
    const got = await curl(['--ftp-port', '-', `'${url}/big.bin'`, '| sha256sum'], 30);
    expect(got.split(' ')[0]).toBe(sha);
    await sleep(1300); // the stats file is rewritten every second
    const c = stats(r!.statsPath).counters;
    // readiness 1+, passive 2, active 2: each a data connection the helper made.
    expect(c.ftp_data_conns).toBeGreaterThanOrEqual(5);
    expect(c.ftp_no_room ?? 0).toBe(0);
  }, 60_000);
});
