// -R: config_stream's line splitting, the -S | -R round trip through a fake
// router, and tsvs's all-or-nothing restore.
import { describe, expect, it } from 'vitest';
import { restoreLines } from '../../../src/cli/admin/restore.js';
import { FakeApi } from './fake-api.js';
import { run } from './runner.js';

const TRY = "Try `ipvsadm -h' or 'ipvsadm --help' for more information.\n";

describe('restoreLines (config_stream_read)', () => {
  it('splits at blanks, tabs and CRs, drops every "ipvsadm" token, has no quoting and no comments', () => {
    expect(restoreLines('ipvsadm -A -t 198.18.0.10:80\n\n  -a\t-t  x:80 ipvsadm -r y\r\n# not a comment\n-s "rr"')).toEqual([
      ['-A', '-t', '198.18.0.10:80'],
      [],
      ['-a', '-t', 'x:80', '-r', 'y'],
      ['#', 'not', 'a', 'comment'],
      ['-s', '"rr"'],
    ]);
  });
});

/** A table built the way an operator would, with commands in an order -S does not keep. */
async function builtTable(): Promise<FakeApi> {
  const api = new FakeApi();
  const commands = [
    '-A -t 198.18.0.10:80 -s wrr',
    '-a -t 198.18.0.10:80 -r 198.19.0.13:80 -m -w 3',
    '-a -t 198.18.0.10:80 -r 198.19.0.11:8080 -m -x 100 -y 60',
    '-a -t 198.18.0.10:80 -r 198.19.0.12 -m -w 0',
    '-A -u 198.18.0.53:53 -s sh -b sh-fallback,sh-port -o',
    '-a -u 198.18.0.53:53 -r 198.18.0.54',
    '-A -f 80 -s rr -p 600 -M 255.255.255.0',
    '-a -f 80 -r 198.18.0.22 -g -w 2',
    '-a -f 80 -r 198.18.0.21:8080 -i -x 5',
    '-A -t 198.18.0.11 -p',
  ];
  for (const c of commands) expect(await run(c, api)).toEqual({ code: 0, out: '', err: '' });
  return api;
}

describe('-S | -R', () => {
  it('rebuilds the same table, in one change', async () => {
    const before = await builtTable();
    const saved = await run('-S -n', before);
    expect(saved.code).toBe(0);
    expect(saved.out.split('\n')).toContain('-a -f 80 -r 198.18.0.21:8080 -i -w 1 --tun-type ipip -x 5');

    const after = new FakeApi();
    expect(await run('-R', after, saved.out)).toEqual({ code: 0, out: '', err: '' });
    expect(after.changes).toHaveLength(1);
    expect(after.changes[0]).toHaveLength(10);
    expect((await run('-S -n', after)).out).toBe(saved.out);
    expect((await run('-L -n', after)).out).toBe((await run('-L -n', before)).out);
    // Every field, not just what the listings show. The list order is not
    // kept: -S writes services and servers sorted, and IPVS lists servers newest first.
    const norm = async (api: FakeApi) => {
      const t = await api.table();
      const byKey = <T extends { address: string; port: number }>(a: T, b: T) => a.address.localeCompare(b.address) || a.port - b.port;
      return t.services.map((s) => ({ ...s, servers: [...s.servers].sort(byKey) })).sort((a, b) => a.id.localeCompare(b.id));
    };
    expect(await norm(after)).toEqual(await norm(before));
  });

  it('accepts lines that begin with "ipvsadm", and blank lines', async () => {
    const api = new FakeApi();
    expect(await run('-R', api, '\nipvsadm -A -t 198.18.0.10:80\n   \nipvsadm -a -t 198.18.0.10:80 -r 198.19.0.11\n')).toMatchObject({ code: 0 });
    expect(api.changes[0].map((o) => o.op)).toEqual(['add-service', 'add-server']);
  });
});

describe('-R is all or nothing', () => {
  const GOOD = '-A -t 198.18.0.10:80\n-a -t 198.18.0.10:80 -r 198.19.0.11\n';

  it('a line ipvsadm would refuse stops the restore before anything is sent', async () => {
    const api = new FakeApi();
    expect(await run('-R', api, `${GOOD}-a -t 198.18.0.10:80 -r 198.19.0.12 -w 70000\n`)).toEqual({ code: 2, out: '', err: 'illegal weight specified\n' });
    expect(api.changes).toEqual([]);
  });

  it('a line the router refuses leaves the table as it was, with ipvsadm\'s message for that line', async () => {
    const api = new FakeApi();
    expect(await run('-R', api, `${GOOD}-a -t 198.18.0.99:80 -r 198.19.0.12\n`)).toEqual({ code: 255, out: '', err: 'Service not defined\n' });
    expect(api.changes).toHaveLength(1);
    expect((await api.table()).services).toEqual([]);
  });

  it.each([
    ['# a comment', TRY, 255],
    ['-R', TRY, 255],
    ['-L -n', 'ipvsadm: -R applies its lines as one change, and "-L -n" is not a change\n', 2],
    ['--sctp-service 198.18.0.10:80', TRY, 255],
    ['-A --sctp-service 198.18.0.10:80', 'Protocol not available\n', 255],
  ])('refuses a %j line', async (line, err, code) => {
    const api = new FakeApi();
    expect(await run('-R', api, `${GOOD}${line}\n`)).toEqual({ code, out: '', err });
    expect(api.changes).toEqual([]);
  });

  it('sends nothing for empty input', async () => {
    const api = new FakeApi();
    expect(await run('-R', api, '\n\n')).toEqual({ code: 0, out: '', err: '' });
    expect(api.changes).toEqual([]);
  });
});
