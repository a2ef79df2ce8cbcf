// adminMain against a fake router: what is printed, where, and the exit
// status, including libipvs's ipvs_strerror messages for refused changes.
import { describe, expect, it } from 'vitest';
import { ApiRequestError, type ConnView, type Op } from '../../../src/control/types.js';
import { FakeApi } from './fake-api.js';
import { run } from './runner.js';
import { sampleTable } from './views.js';

/** A FakeApi whose change() refuses with `code` at the first op. */
function refusing(code: string, message = `refused: ${code}`): FakeApi {
  const api = new FakeApi();
  api.change = async () => {
    throw new ApiRequestError(409, { code, message, index: 0 });
  };
  return api;
}

describe('refused changes: ipvs_strerror for the call that failed, exit 255', () => {
  it.each([
    ['-A -t 198.18.0.10:80', 'EEXIST', 'Service already exists'],
    ['-A -t 198.18.0.10:80 -s nosuch', 'ENOENT', 'Scheduler or persistence engine not found'],
    ['-E -t 198.18.0.10:80', 'ESRCH', 'No such service'],
    ['-E -t 198.18.0.10:80 --pe sip', 'ENOENT', 'Scheduler or persistence engine not found'],
    ['-D -t 198.18.0.10:80', 'ESRCH', 'No such service'],
    ['-Z -t 198.18.0.10:80', 'ESRCH', 'No such service'],
    ['-a -t 198.18.0.10:80 -r 198.19.0.11', 'ESRCH', 'Service not defined'],
    ['-a -t 198.18.0.10:80 -r 198.19.0.11', 'EEXIST', 'Destination already exists'],
    ['-e -t 198.18.0.10:80 -r 198.19.0.11', 'ESRCH', 'Service not defined'],
    ['-e -t 198.18.0.10:80 -r 198.19.0.11', 'ENOENT', 'No such destination'],
    ['-d -t 198.18.0.10:80 -r 198.19.0.11', 'ENOENT', 'No such destination'],
    ['-C', 'EPERM', 'Permission denied (you must be root)'],
    ['--set 1 2 3', 'EINVAL', 'Invalid operation.  Possibly wrong module version, address not unicast, ...'],
    // Not in the table for this call: glibc's strerror, as ipvs_strerror falls back to.
    ['-A -t 198.18.0.10:80', 'ESRCH', 'No such process'],
    ['-D -t 198.18.0.10:80', 'ENOENT', 'No such file or directory'],
    // A code glibc would not know keeps the router's own message.
    ['-A -t 198.18.0.10:80', 'ETSVS', 'refused: ETSVS'],
  ])('%s refused with %s', async (args, code, message) => {
    expect(await run(args, refusing(code))).toEqual({ code: 255, out: '', err: `${message}\n` });
  });

  it('names the op that failed in a list by its index', async () => {
    const api = new FakeApi();
    const r = await run('-R', api, '-A -t 198.18.0.10:80\n-A -t 198.18.0.10:80\n');
    expect(r).toEqual({ code: 255, out: '', err: 'Service already exists\n' });
  });

  it('refuses SCTP itself, without a call, as the kernel would', async () => {
    const api = new FakeApi();
    expect(await run('-A --sctp-service 198.18.0.10:80', api)).toEqual({ code: 255, out: '', err: 'Protocol not available\n' });
    expect(api.changes).toEqual([]);
  });

  it('sends one Op per command, and prints the router\'s warnings on stderr', async () => {
    const api = new FakeApi();
    const sent: Op[][] = [];
    api.change = async (ops) => {
      sent.push(ops);
      return { version: 2, done: [], warnings: [] };
    };
    expect(await run('-a -t 198.18.0.10:80 -r 198.19.0.11 -i', api)).toEqual({ code: 0, out: '', err: '' });
    expect(sent).toEqual([[{ op: 'add-server', service: { protocol: 'tcp', address: '198.18.0.10', port: 80 }, server: { address: '198.19.0.11', port: 80 }, forward: 'tunnel', weight: 1, upperThreshold: 0, lowerThreshold: 0, tunnelType: 'ipip', tunnelPort: 0, tunnelCsum: 'none' }]]);
  });
});

describe('listings', () => {
  it('lists the whole table with no argument at all', async () => {
    const r = await run([], new FakeApi(sampleTable()));
    expect(r.code).toBe(0);
    expect(r.out.split('\n').slice(3, 4)).toEqual(['TCP  www.example.test:http wlc']);
  });

  it('-L -t VIP:PORT lists one service without the version line, and says when there is none (exit 1)', async () => {
    const api = new FakeApi(sampleTable());
    expect((await run('-L -n -u 198.18.0.53:53', api)).out).toBe([
      'Prot LocalAddress:Port Scheduler Flags',
      '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
      'UDP  198.18.0.53:53 sh (sh-port) ops',
      '  -> 198.18.0.54:53               Masq    1      0          0         ',
      '',
    ].join('\n'));
    expect((await run('-L -n -f 80', api)).out.split('\n')[2]).toBe('FWM  80 wlc persistent 300 mask 255.255.255.0');
    expect(await run('-L -n -t 198.18.0.53:53', api)).toEqual({ code: 1, out: '', err: 'No such service\n' });
    expect(await run('-L -n -f 81', api)).toEqual({ code: 1, out: '', err: 'No such service\n' });
  });

  it('--json prints the API\'s JSON as it came', async () => {
    const api = new FakeApi(sampleTable());
    expect((await run('-L --json', api)).out).toBe(`${JSON.stringify(sampleTable(), null, 2)}\n`);
    expect(JSON.parse((await run('-L -f 80 --json', api)).out)).toEqual(sampleTable().services[0]);
    expect(JSON.parse((await run('-L --timeout --json', api)).out)).toEqual({ tcp: 900, tcpfin: 120, udp: 300 });
    expect((await run('-L --daemon --json', api)).out).toBe('[]\n');
  });

  it('-c reads every page of connections', async () => {
    const api = new FakeApi();
    const conn = (i: number): ConnView => ({
      protocol: 'TCP', client: '198.18.1.1', clientPort: 40000 + i, virtual: '198.18.0.10', virtualPort: 80, dest: '198.19.0.11', destPort: 80,
      state: 'ESTABLISHED', expires: 60 * i + 1, template: false, forward: 'nat',
    });
    api.conns = [0, 1, 2, 3, 4].map(conn);
    const { code, out } = await run('-L -c -n', api, '', 2);
    expect(code).toBe(0);
    expect(api.pages).toEqual([[0, 2], [2, 2], [4, 2]]);
    expect(out.split('\n').slice(2)).toEqual([
      'TCP 00:01  ESTABLISHED 198.18.1.1:40000   198.18.0.10:80     198.19.0.11:80',
      'TCP 01:01  ESTABLISHED 198.18.1.1:40001   198.18.0.10:80     198.19.0.11:80',
      'TCP 02:01  ESTABLISHED 198.18.1.1:40002   198.18.0.10:80     198.19.0.11:80',
      'TCP 03:01  ESTABLISHED 198.18.1.1:40003   198.18.0.10:80     198.19.0.11:80',
      'TCP 04:01  ESTABLISHED 198.18.1.1:40004   198.18.0.10:80     198.19.0.11:80',
      '',
    ]);
  });

  it('--timeout after --set (0 keeps a value)', async () => {
    const api = new FakeApi();
    expect(await run('--set 0 0 60', api)).toEqual({ code: 0, out: '', err: '' });
    expect(await run('-L --timeout', api)).toEqual({ code: 0, out: 'Timeout (tcp tcpfin udp): 900 120 60\n', err: '' });
  });

  it('--daemon: nothing when no sync daemon runs; else ipvsadm\'s line per daemon, and JSON', async () => {
    expect(await run('-L --daemon', new FakeApi())).toEqual({ code: 0, out: '', err: '' });
    const api = new FakeApi();
    api.sync_ = { role: 'master', iface: 'eth1', syncid: 7, version: 1, sent: { conns: 1, messages: 1, queueDrops: 0, resyncs: 0 }, received: { messages: 0, conns: 0, skipped: 0, waiting: 0, bad: 0 }, auth: null };
    expect(await run('-L --daemon', api)).toEqual({ code: 0, out: 'master sync daemon (mcast=eth1, syncid=7)\n', err: '' });
    expect(JSON.parse((await run('-L --daemon --json', api)).out)).toEqual([{ state: 'master', mcastInterface: 'eth1', syncid: 7 }]);
  });

  it('a refused read prints ipvs_strerror and exits 1', async () => {
    const api = new FakeApi();
    api.failWith = new ApiRequestError(403, { code: 'EPERM', message: 'not root' });
    expect(await run('-L -n', api)).toEqual({ code: 1, out: '', err: 'Permission denied (you must be root)\n' });
    expect(await run('-S', api)).toEqual({ code: 1, out: '', err: 'Permission denied (you must be root)\n' });
  });
});

describe('the rest', () => {
  it('a router that cannot be reached: exit 2, as ipvsadm\'s "Can\'t initialize ipvs"', async () => {
    const api = new FakeApi();
    api.failWith = new Error('connect ENOENT /run/tsvs/control.sock');
    expect(await run('-C', api)).toEqual({
      code: 2, out: '', err: "Can't reach the tsvs control API: connect ENOENT /run/tsvs/control.sock\nIs the router running (tsvs start)?\n",
    });
    // Refused by the socket's mode: the router runs; no hint to start it.
    api.failWith = Object.assign(new Error('Permission denied (you must be root): /run/tsvs/tsvs.sock is root\'s'), { code: 'EPERM' });
    expect((await run('-C', api)).err).toBe("Can't reach the tsvs control API: Permission denied (you must be root): /run/tsvs/tsvs.sock is root's\n");
  });

  it('--start-daemon and --stop-daemon: the sync daemon follows lvs.cf and the router\'s state; exit 1', async () => {
    expect(await run('--start-daemon master', new FakeApi())).toEqual({
      code: 1, out: '', err: 'ipvsadm: tsvs runs the connection sync daemon from lvs.cf (syncdaemon = 1, syncd_iface, syncd_id), master while the router is active and backup while not; --start-daemon master does nothing\n',
    });
    expect((await run('--stop-daemon backup', new FakeApi())).code).toBe(1);
  });

  it('-h prints the usage on stdout and -v the version, exit 0', async () => {
    const h = await run('-h', new FakeApi());
    expect(h.code).toBe(0);
    expect(h.out.split('\n').slice(0, 3)).toEqual(['ipvsadm v1.31 2019/12/24 (tsvs admin, IPVS v1.2.1)', 'Usage:', '  ipvsadm -A|E virtual-service [-s scheduler] [-p [timeout]] [-M netmask] [--pe persistence_engine] [-b sched-flags]']);
    expect(h.out).toContain('  --scheduler    -s scheduler         one of rr|wrr|lc|wlc|lblc|lblcr|dh|sh|sed|nq|mh|fo|ovf|twos,\n');
    expect(await run('-v', new FakeApi())).toEqual({ code: 0, out: 'ipvsadm v1.31 2019/12/24 (tsvs admin, IPVS v1.2.1)\n', err: '' });
  });

  it('an argument error reaches stderr with its status', async () => {
    expect(await run('-L -c --stats', new FakeApi())).toEqual({ code: 2, out: '', err: 'options conflicts in the list command\n' });
  });
});
