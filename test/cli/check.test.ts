import { describe, expect, it } from 'vitest';
import { checkFile, checkText } from '../../src/cli/check.js';
import { readFileSync } from 'node:fs';
import { fixturePath } from '../config/helpers.js';

describe('checkFile (tsvs check -c FILE)', () => {
  it('prints the table in the -L -n layout, then how servers are checked, then what is not acted on yet', () => {
    const path = fixturePath('dr.cf');
    const res = checkFile(path);
    expect(res.ok).toBe(true);
    expect(res.output).toBe(
      [
        'IP Virtual Server version 1.2.1 (size=4096)',
        'Prot LocalAddress:Port Scheduler Flags',
        '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
        'TCP  198.18.0.10:80 rr',
        '  -> 198.18.0.21:80               Route   1      0          0         ',
        '  -> 198.18.0.22:80               Route   1      0          0         ',
        '  -> 198.18.0.23:80               Route   1      0          0         ',
        '',
        // No check block, no send/expect, port 80: nanny's default web check, as Piranha runs it.
        'Health checks:',
        'TCP 198.18.0.10:80: nanny tcp send "GET / HTTP/1.0\\r\\n\\r\\n" expect "HTTP", every 10s, timeout 10s, re-entry after 180s',
        '',
        'Not yet acted on (4):',
        `${path}:4 serial_no: only a revision number for the GUI`,
        `${path}:5 primary: backup_active = 0: no backup router, so no heartbeat; this router is always active (as pulse)`,
        `${path}:7 backup_active: backup_active = 0: no backup router, so no heartbeat; this router is always active (as pulse)`,
        `${path}:8 heartbeat: backup_active = 0: no backup router, so no heartbeat; this router is always active (as pulse)`,
        '',
      ].join('\n'),
    );
  });

  it('prints every error as file:line: CODE: message', () => {
    const path = fixturePath('many-errors.cf');
    const res = checkFile(path);
    expect(res.ok).toBe(false);
    expect(res.output.split('\n')).toEqual([
      `${path}:2: INTEXPECTED: keepalive expects a whole number, got "soon"`,
      `${path}:3: BADARGUMENT: network "bridge" is not one of nat, direct, tunnel`,
      `${path}:5: INTEXPECTED: active expects 0 or 1, got "yes"`,
      `${path}:7: BADNETMASK: pmask "255.0.255.0" is not a contiguous netmask`,
      `${path}:10: BADCOMMAND: unknown key wieght in a server block`,
      `${path}:13: EOF: virtual ftp {, opened here, is never closed`,
      '',
    ]);
  });

  it('reports compile errors the same way', () => {
    const res = checkText('network = direct\nvirtual v {\n active = 1\n}\n', 'lvs.cf');
    expect(res).toEqual({ ok: false, output: 'lvs.cf:2: MISSINGKEY: virtual v has no address (address = VIP DEVICE), and no fwmark\n' });
  });

  it('reports a file it cannot read', () => {
    const res = checkFile(fixturePath('no-such-file.cf'));
    expect(res.ok).toBe(false);
    expect(res.output).toBe(`${fixturePath('no-such-file.cf')}:0: READ: cannot read the file (ENOENT)\n`);
  });

  it('says per service how its servers are checked, and each server whose checks differ', () => {
    const text =
      'network = direct\nvirtual web {\n active = 1\n address = 198.18.0.10 eth0\n sorry_server = 198.18.0.99\n quorum = 2\n' +
      ' check http {\n  path = /healthz\n  delay_loop = 2\n  rise = 2\n  fall = 3\n }\n' +
      ' server a {\n  active = 1\n  address = 198.18.0.21\n }\n' +
      ' server b {\n  active = 1\n  address = 198.18.0.22\n  check misc {\n   path = "/usr/local/bin/db-ok %h"\n  }\n }\n}\n' +
      'virtual dns {\n active = 1\n address = 198.18.0.53 eth0\n protocol = udp\n port = 53\n checks = none\n server c {\n  active = 1\n  address = 198.18.0.54\n }\n}\n';
    const res = checkText(text, 'lvs.cf');
    expect(res.ok).toBe(true);
    expect(res.output.slice(res.output.indexOf('\nHealth checks:'))).toBe(
      [
        '',
        'Health checks:',
        'TCP 198.18.0.10:80: http /healthz 200-299, every 2s, timeout 5s, retry 1 after 3s, rise 2 fall 3; sorry server 198.18.0.99:80; quorum 2 hysteresis 0',
        '  -> 198.18.0.22:80: http /healthz 200-299 + misc "/usr/local/bin/db-ok %h" (timeout 2s), every 2s, timeout 5s, retry 1 after 3s, rise 2 fall 3',
        'UDP 198.18.0.53:53: not checked (checks = none): always up',
        '',
      ].join('\n'),
    );
  });

  it('says what VRRP will do with failover = vrrp: the instance as keepalived.conf would name it', () => {
    const text = 'primary = 198.18.0.2\nbackup_active = 1\nbackup = 198.18.0.3\nfailover = vrrp\nvrrp_id = 51\nvrrp_auth_pass = pw\nvrrp_preempt_delay = 10\n' +
      'vrrp_unicast_peer = 198.18.0.3\nvirtual v {\n active = 1\n address = 198.18.0.10 eth0\n checks = none\n}\n';
    const res = checkText(text, 'lvs.cf');
    expect(res.output.slice(res.output.indexOf('\nFailover'))).toBe([
      '',
      'Failover (VRRP):',
      'primary 198.18.0.2, backup 198.18.0.3',
      'VRRPv2 virtual_router_id 51, priority 150 (primary) / 100 (backup), advert_int 1s, preempt after 10s',
      "on the public address's device from the public address, unicast to 198.18.0.3, auth_type PASS",
      'virtual_ipaddress: 198.18.0.10',
      "beside VRRP, pulse's heartbeat on UDP 539 every 2s as a presence beacon (a returning partner gets the connection table)",
      '',
    ].join('\n'));
  });

  it('says what pulse will do when the file names a backup router', () => {
    const text = 'primary = 198.18.0.2\nprimary_private = 198.19.0.2\nbackup_active = 1\nbackup = 198.18.0.3\nkeepalive = 1\ndeadtime = 3\n' +
      'monitor_links = 1\ninactive_cmd = "/usr/local/bin/down"\nvirtual v {\n active = 1\n address = 198.18.0.10 eth0\n checks = none\n}\n';
    const res = checkText(text, 'lvs.cf');
    expect(res.output.slice(res.output.indexOf('\nFailover'))).toBe([
      '',
      'Failover (pulse):',
      'primary 198.18.0.2 (private 198.19.0.2), backup 198.18.0.3',
      'heartbeat UDP 539 every 1s, partner dead after 3s, monitor_links on',
      'inactive_cmd: /usr/local/bin/down',
      '',
    ].join('\n'));
  });

  it('omits the not-acted-on section when there is nothing to say', () => {
    const res = checkText('virtual v {\n active = 1\n address = 198.18.0.10 eth0\n}\n', 'lvs.cf');
    expect(res.output).toBe(
      'IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\nTCP  198.18.0.10:80 wlc\n',
    );
  });
});

describe('tsvs check, network = tunnel (issue 13 item 2)', () => {
  it('accepts LVS-TUN without a note and lists its servers as Tunnel', () => {
    const text = readFileSync(fixturePath('dr.cf'), 'utf8').replace('network = direct', 'network = tunnel');
    const line = text.split('\n').findIndex((l) => l.trim() === 'network = tunnel') + 1;
    const res = checkText(text, 'tun.cf');
    expect(res.ok).toBe(true);
    expect(line).toBeGreaterThan(0);
    expect(res.output).not.toContain('network:');
    expect(res.output).not.toContain('Route');
    expect(res.output).toMatch(/ {2}-> 198\.18\.0\.21:80 +Tunnel +1 +0 +0 *\n/);
  });
});

describe('tsvs check, tunnel types (tunnel_type, tunnel_port, tunnel_csum)', () => {
  const base = readFileSync(fixturePath('dr.cf'), 'utf8').replace('network = direct', 'network = tunnel');
  /** dr.cf with `keys` added to server web1 (after its weight line); returns the text and the first added line's number. */
  const withKeys = (keys: string[], text = base) => {
    const lines = text.split('\n');
    const at = lines.findIndex((l, k) => k > lines.findIndex((x) => x.includes('server web1')) && l.trim() === 'weight = 1') + 1;
    lines.splice(at, 0, ...keys.map((k) => `        ${k}`));
    return { text: lines.join('\n'), line: at + 1 };
  };

  it('accepts GUE with a port and a checksum mode, and GRE with a checksum', () => {
    expect(checkText(withKeys(['tunnel_type = gue', 'tunnel_port = 6080', 'tunnel_csum = remcsum']).text, 'tun.cf').ok).toBe(true);
    expect(checkText(withKeys(['tunnel_type = gre', 'tunnel_csum = csum']).text, 'tun.cf').ok).toBe(true);
  });

  it('refuses what ipvsadm refuses, at the key\'s line', () => {
    const err = (keys: string[], text = base) => {
      const { text: t, line } = withKeys(keys, text);
      const res = checkText(t, 'tun.cf');
      expect(res.ok).toBe(false);
      return { out: res.output, line };
    };
    let r = err(['tunnel_type = gue']);
    expect(r.out).toContain(`tun.cf:${r.line}: BAD_TUNNEL_PORT: service TCP 198.18.0.10:80: real server web1 (198.18.0.21): a gue tunnel needs a tunnel port 1..65535`);
    r = err(['tunnel_type = gre', 'tunnel_csum = remcsum']);
    expect(r.out).toContain(`tun.cf:${r.line + 1}: BAD_TUNNEL_CSUM:`);
    expect(r.out).toContain('remote checksum offload applies to gue only, not gre');
    r = err(['tunnel_port = 6080']);
    expect(r.out).toContain(`tun.cf:${r.line}: BAD_TUNNEL_PORT:`);
    r = err(['tunnel_csum = csum']);
    expect(r.out).toContain(`tun.cf:${r.line}: BAD_TUNNEL_CSUM:`);
    r = err(['tunnel_type = vxlan']);
    expect(r.out).toContain(`tun.cf:${r.line}: BADARGUMENT: tunnel_type "vxlan" is not one of ipip, gue, gre`);
    r = err(['tunnel_port = 0']);
    expect(r.out).toMatch(new RegExp(`tun\\.cf:${r.line}: \\w+: tunnel_port`));
    r = err(['tunnel_type = gre'], base.replace('network = tunnel', 'network = direct'));
    expect(r.out).toContain(`tun.cf:${r.line}: BAD_TUNNEL: `);
    expect(r.out).toContain('tunnel options need the tunnel forwarding method');
  });
});

describe('tsvs check, server order (issue 13 item 6)', () => {
  // Servers in file order .23, .21, .22: lvsd adds them in that order, so IPVS holds them
  // newest first (.22, .21, .23); ipvsadm -L sorts them for display unless --nosort.
  const text = readFileSync(fixturePath('dr.cf'), 'utf8')
    .replace('198.18.0.21', '@1@').replace('198.18.0.22', '@2@').replace('198.18.0.23', '@3@')
    .replace('@1@', '198.18.0.23').replace('@2@', '198.18.0.21').replace('@3@', '198.18.0.22');
  const dests = (out: string) => [...out.matchAll(/-> (\S+)/g)].map((m) => m[1]).filter((a) => a !== 'RemoteAddress:Port');

  it('prints them as ipvsadm -Ln prints the running table: sorted by address and port', () => {
    expect(dests(checkText(text, 'lvs.cf').output)).toEqual(['198.18.0.21:80', '198.18.0.22:80', '198.18.0.23:80']);
  });

  it('holds them newest first, as the running table does (what ipvsadm -Ln --nosort shows)', async () => {
    const { compileLvsCf, parseLvsCf } = await import('../../src/config/index.js');
    const { tableViewFromModel } = await import('../../src/control/from-model.js');
    const { table } = compileLvsCf(parseLvsCf(text, 'lvs.cf'));
    expect(tableViewFromModel(table).services[0].servers.map((s) => s.address)).toEqual(['198.18.0.22', '198.18.0.21', '198.18.0.23']);
  });
});

describe('tsvs check --routes', () => {
  const text = readFileSync(fixturePath('dr.cf'), 'utf8');
  const route = (dst: number, len: number, dev: string, gateway = 0) => ({ dst, len, gateway, dev, metric: 0, type: 'unicast' as const });
  const net = (a: number, b: number, c: number) => ((a << 24) | (b << 16) | (c << 8)) >>> 0;

  it('says which device reaches each real server, and the devices tsvs start would open', () => {
    const res = checkText(text, 'dr.cf', [route(net(198, 18, 0), 24, 'eth1'), route(0, 0, 'eth0', net(192, 0, 2) + 1)]);
    expect(res.output).toContain('Routes (this host\'s): devices opened eth0, eth1 (eth1 for the real servers)\n  198.18.0.21 by eth1\n');
  });

  it('says that DR needs a server on-link when the route to it has a gateway, and when the routes cannot be read', () => {
    const res = checkText(text, 'dr.cf', [route(0, 0, 'eth0', net(192, 0, 2) + 1)]);
    expect(res.ok).toBe(true);
    expect(res.output).toMatch(/real server 198\.18\.0\.23 \(direct routing\) is not on a directly connected network .* via 192\.0\.2\.1 on eth0/);
    expect(checkText(text, 'dr.cf', null).output).toContain('this host\'s routes cannot be read');
    expect(checkText(text, 'dr.cf').output).not.toContain('Routes');
  });

  it('says the same of IPv6 real servers by the IPv6 routes: the device or gateway, and DR behind a gateway or no route', () => {
    const v6 = `${text}\nvirtual http6 {\n    active = 1\n    address = 2001:2:0:1::10 eth0:1\n    port = 80\n    scheduler = rr\n    protocol = tcp\n` +
      ['2001:2:0:2::11', '2001:2:0:4::11', '2001:db8::5'].map((a, k) => `    server s${k} {\n        address = ${a}\n        active = 1\n        port = 80\n        weight = 1\n    }\n`).join('') + '}\n';
    const r6 = (dst6: string, len: number, dev: string, gateway6 = '') => ({ dst: 0, len, gateway: 0, dst6, gateway6, dev, metric: 0, type: 'unicast' as const });
    const res = checkText(v6, 'dr6.cf', [route(0, 0, 'eth0', net(192, 0, 2) + 1), r6('2001:2:0:2::', 64, 'eth1'), r6('2001:2:0:4::', 64, 'eth1', 'fe80::1')]);
    expect(res.ok, res.output).toBe(true);
    expect(res.output).toContain('  2001:2:0:2::11 by eth1\n  2001:2:0:4::11 by eth1 via fe80::1\n');
    expect(res.output).toMatch(/real server 2001:2:0:4::11 \(direct routing\) is not on a directly connected network .* via fe80::1 on eth1/);
    expect(res.output).toContain('real server 2001:db8::5: no interface of this router reaches it (no route to it)');
  });
});
