// ipvsadm's IPv6 syntax and output, end to end through the control plane's
// own planner: -t/-u [ADDR]:PORT, -r [ADDR]:PORT or a bare ADDR (no port),
// -f MARK -6, and the -L -n, --stats, --rate, --exact, -c, -S and -R texts as
// ipvsadm 1.31 prints them (addrport_to_anyname's "[%s]:%u", no 33/28
// character cut for IPv6, " mask %i" of an IPv6 netmask, "FWM  %d IPv6").
import { describe, expect, it } from 'vitest';
import { parseAdmin } from '../../../src/cli/admin/args.js';
import { tableViewFromModel } from '../../../src/control/from-model.js';
import { OpError, planOps } from '../../../src/control/ops.js';
import { ApiRequestError, type ChangeResult, type ConnView, type Op } from '../../../src/control/types.js';
import { assembleTable, buildTable, type ServiceTable } from '../../../src/model/index.js';
import { FakeApi } from './fake-api.js';
import { fakeNames } from './helpers.js';
import { run } from './runner.js';

const parse = (args: string) => parseAdmin(args.split(' '), { names: fakeNames(), program: 'ipvsadm' });

/** A ControlApi whose changes go through planOps and whose table is tableViewFromModel's: the real rules, no router. */
class ModelApi extends FakeApi {
  model: ServiceTable = buildTable({ services: [] });

  override async change(ops: Op[]): Promise<ChangeResult> {
    this.changes.push(ops);
    try {
      const p = planOps(this.model, ops, ['eth0'], this.model.addresses);
      this.model = assembleTable({ ...this.model, services: p.services, addresses: p.addresses, timeouts: p.timeouts });
      this.table_ = tableViewFromModel(this.model);
      return { version: this.model.version, done: p.done, warnings: p.warnings };
    } catch (e) {
      if (e instanceof OpError) throw new ApiRequestError(409, { code: e.code, message: e.message, index: e.index });
      throw e;
    }
  }
}

async function admin(api: ModelApi, ...lines: string[]): Promise<void> {
  for (const l of lines) {
    const r = await run(l, api);
    expect(r, l).toEqual({ code: 0, out: '', err: '' });
  }
}

const ADD = { scheduler: 'wlc', schedFlags: [], persistence: 0, persistMask: '128', onePacket: false };

describe('ipvsadm IPv6 command lines', () => {
  it.each([
    ['-A -t [2001:db8::10]:80 -s rr', { op: 'add-service', service: { protocol: 'tcp', address: '2001:db8::10', port: 80 }, ...ADD, scheduler: 'rr' }],
    ['-A -u [2001:db8::10]:53', { op: 'add-service', service: { protocol: 'udp', address: '2001:db8::10', port: 53 }, ...ADD }],
    // An IPv6 service's -M is a prefix length (atoi), 128 when not given.
    ['-A -t [2001:db8::10]:443 -p 300 -M 64', { op: 'add-service', service: { protocol: 'tcp', address: '2001:db8::10', port: 443 }, ...ADD, persistence: 300, persistMask: '64' }],
    ['-A -f 5 -6', { op: 'add-service', service: { fwmark: 5, ipv6: true }, ...ADD }],
    ['-a -t [2001:db8::10]:80 -r [2001:db8::2]:8080 -m -w 3', {
      op: 'add-server', service: { protocol: 'tcp', address: '2001:db8::10', port: 80 }, server: { address: '2001:db8::2', port: 8080 },
      forward: 'nat', weight: 3, upperThreshold: 0, lowerThreshold: 0,
    }],
    // A bare IPv6 server address has no port: the service's is copied.
    ['-a -t [2001:db8::10]:80 -r 2001:db8::2 -g', {
      op: 'add-server', service: { protocol: 'tcp', address: '2001:db8::10', port: 80 }, server: { address: '2001:db8::2', port: 80 },
      forward: 'dr', weight: 1, upperThreshold: 0, lowerThreshold: 0,
    }],
    ['-d -t [2001:db8::10]:80 -r [2001:db8::2]:80', {
      op: 'delete-server', service: { protocol: 'tcp', address: '2001:db8::10', port: 80 }, server: { address: '2001:db8::2', port: 80 },
    }],
  ] as [string, Op][])('%s', async (args, op) => {
    expect(await parse(args)).toEqual({ kind: 'change', cmd: expect.any(String), ops: [op] });
  });

  it('refuses a server of the other family as ipvsadm does (only tunnels may cross, and tsvs tunnels IPv4 only)', async () => {
    const api = new ModelApi();
    expect(await run('-a -t [2001:db8::10]:80 -r 198.19.0.2 -m', api)).toMatchObject({ code: 2, err: expect.stringContaining('Different address family is allowed only for tunneling servers') });
    await admin(api, '-A -t [2001:db8::10]:80');
    const r = await run('-a -t [2001:db8::10]:80 -r 198.19.0.2 -i', api);
    expect(r.code).toBe(255);
    expect(api.model.services[0].servers).toEqual([]);
  });

  it('adds an IPv6 firewall-mark service (-f N -6), apart from an IPv4 one of the same mark', async () => {
    const api = new ModelApi();
    expect((await run('-A -f 5 -6', api)).code).toBe(0);
    expect((await run('-A -f 5', api)).code).toBe(0);
    expect(api.model.services.map((s) => [s.fwmark, s.family6 === true])).toEqual([[5, true], [5, false]]);
  });
});

describe('ipvsadm IPv6 listings, byte for byte', () => {
  async function cluster(): Promise<ModelApi> {
    const api = new ModelApi();
    await admin(api,
      '-A -t 198.18.0.10:80 -s rr',
      '-a -t 198.18.0.10:80 -r 198.19.0.2:80 -m',
      '-A -t [2001:db8::10]:80 -s rr',
      '-a -t [2001:db8::10]:80 -r [2001:db8::2]:8080 -m',
      '-a -t [2001:db8::10]:80 -r [2001:db8:aaaa:bbbb:cccc:dddd:eeee:1]:8080 -m -w 2',
      '-A -u [2001:db8::10]:53',
      '-a -u [2001:db8::10]:53 -r 2001:db8::3 -g',
      '-A -t [2001:db8::10]:443 -p 300 -M 64 -s sh',
      '-a -t [2001:db8::10]:443 -r 2001:0DB8:0:0::2 -g',
    );
    return api;
  }

  it('stores canonical text, whatever form was typed', async () => {
    const api = await cluster();
    expect(api.model.services.find((s) => s.port === 443)!.servers[0]).toMatchObject({ address: 0, address6: '2001:db8::2', port: 443 });
    expect(api.model.addresses.map((a) => a.address6 ?? a.address)).toContain('2001:db8::10');
  });

  // ipvs_cmp_dests subtracts unsigned words into an int: 0x00000000 - 0xaaaabbbb is positive, so
  // 2001:db8::2 sorts after 2001:db8:aaaa:... (as 10.0.0.1 sorts after 192.168.0.1 in IPv4).
  it('-L -n: IPv4 services first, "[addr]:port", IPv6 names never cut', async () => {
    const r = await run('-L -n', await cluster());
    expect(r.out).toBe(
      'IP Virtual Server version 1.2.1 (size=4096)\n' +
      'Prot LocalAddress:Port Scheduler Flags\n' +
      '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n' +
      'TCP  198.18.0.10:80 rr\n' +
      '  -> 198.19.0.2:80                Masq    1      0          0         \n' +
      'TCP  [2001:db8::10]:80 rr\n' +
      '  -> [2001:db8:aaaa:bbbb:cccc:dddd:eeee:1]:8080 Masq    2      0          0         \n' +
      '  -> [2001:db8::2]:8080           Masq    1      0          0         \n' +
      'TCP  [2001:db8::10]:443 sh persistent 300 mask 64\n' +
      '  -> [2001:db8::2]:443            Route   1      0          0         \n' +
      'UDP  [2001:db8::10]:53 wlc\n' +
      '  -> [2001:db8::3]:53             Route   1      0          0         \n',
    );
  });

  it('--stats --exact and --rate keep the columns after an IPv6 name', async () => {
    const api = await cluster();
    const stats = (await run('-L -n -t [2001:db8::10]:80 --stats --exact', api)).out;
    expect(stats).toBe(
      'Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n' +
      '  -> RemoteAddress:Port\n' +
      'TCP  [2001:db8::10]:80                   0        0        0        0        0\n' +
      '  -> [2001:db8:aaaa:bbbb:cccc:dddd:eeee:1]:8080        0        0        0        0        0\n' +
      '  -> [2001:db8::2]:8080                  0        0        0        0        0\n',
    );
    const rate = (await run('-L -n -u [2001:db8::10]:53 --rate', api)).out;
    expect(rate).toBe(
      'Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS\n' +
      '  -> RemoteAddress:Port\n' +
      'UDP  [2001:db8::10]:53                   0        0        0        0        0\n' +
      '  -> [2001:db8::3]:53                    0        0        0        0        0\n',
    );
  });

  it('-S saves IPv6 as ipvsadm does, and -R of it rebuilds the same table', async () => {
    const api = await cluster();
    const saved = (await run('-S -n', api)).out;
    expect(saved).toBe(
      '-A -t 198.18.0.10:80 -s rr\n' +
      '-a -t 198.18.0.10:80 -r 198.19.0.2:80 -m -w 1\n' +
      '-A -t [2001:db8::10]:80 -s rr\n' +
      '-a -t [2001:db8::10]:80 -r [2001:db8:aaaa:bbbb:cccc:dddd:eeee:1]:8080 -m -w 2\n' +
      '-a -t [2001:db8::10]:80 -r [2001:db8::2]:8080 -m -w 1\n' +
      '-A -t [2001:db8::10]:443 -s sh -p 300 -M 64\n' +
      '-a -t [2001:db8::10]:443 -r [2001:db8::2]:443 -g -w 1\n' +
      '-A -u [2001:db8::10]:53 -s wlc\n' +
      '-a -u [2001:db8::10]:53 -r [2001:db8::3]:53 -g -w 1\n',
    );
    const again = new ModelApi();
    expect(await run('-R', again, saved)).toEqual({ code: 0, out: '', err: '' });
    expect((await run('-S -n', again)).out).toBe(saved);
  });

  it('-c prints IPv6 connections in brackets, as ipvsadm reads them from /proc/net/ip_vs_conn', async () => {
    const api = new FakeApi();
    const conn: ConnView = {
      protocol: 'TCP', client: '2001:db8:1::7', clientPort: 40000, virtual: '2001:db8::10', virtualPort: 80,
      dest: '2001:db8::2', destPort: 8080, state: 'ESTABLISHED', expires: 899, template: false, forward: 'nat',
    };
    api.conns = [conn];
    expect((await run('-L -n -c', api)).out).toBe(
      'IPVS connection entries\n' +
      'pro expire state       source             virtual            destination\n' +
      'TCP 14:59  ESTABLISHED [2001:db8:1::7]:40000 [2001:db8::10]:80  [2001:db8::2]:8080\n',
    );
  });
});
