// runProbe against real servers, inside two namespaces of the test's own (see
// probe-lab.ts). Each probe runs in a fresh runner process that must report
// nothing left open and exit by itself, so every test also checks for leaks.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpCheck, NannyCheck, ProbeResult } from '../../src/health/types.js';
import { CLIENT_2ND, HAVE_OPENSSL, ROOT, ROOT_REASON, SERVER, SILENT, UNREACHABLE, probeLabUp, type Job, type ProbeLab } from './probe-lab.js';

const at = (port: number, bindTo?: string) => ({ address: SERVER, port, ...(bindTo ? { bindTo } : {}) });
const nanny = (o: Partial<NannyCheck>): NannyCheck => ({ kind: 'nanny', protocol: 'tcp', send: null, expect: null, useRegex: false, sendProgram: null, ...o });
const http = (o: Partial<HttpCheck>): HttpCheck => ({
  kind: 'http', port: null, path: '/ok', status: [[200, 299]], digest: null, regex: null, regexNoMatch: false, virtualhost: null, sni: null, ...o,
});
const udp = (payload: number[], reply: Array<number | null> | null, minReply = 0, maxReply = 255) =>
  ({ kind: 'udp', port: null, payload, reply, minReply, maxReply }) as const;
const dns = (name: string, type: 'A' | 'AAAA' = 'A') => ({ kind: 'dns', port: 5353, type, name }) as const;
const md5 = (s: string | Buffer) => createHash('md5').update(s).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ok = (detail: string) => ({ ok: true, detail });
const fail = (detail: string) => ({ ok: false, detail });
const verdicts = (rs: ProbeResult[]) => rs.map((r) => ({ ok: r.ok, detail: r.detail }));

describe.skipIf(!ROOT)(`probes in namespaces${ROOT_REASON}`, () => {
  let lab: ProbeLab;
  beforeAll(async () => {
    lab = await probeLabUp();
  });
  afterAll(async () => {
    await lab?.down();
  });

  /** The server's events of a kind after `from`, waiting a little for its stdout. */
  async function seen(kind: string, from: number): Promise<Array<Record<string, unknown>>> {
    for (let i = 0; i < 50 && lab.eventsOf(kind, from).length === 0; i++) await sleep(20);
    return lab.eventsOf(kind, from);
  }

  describe('tcp', () => {
    it('passes when the server accepts (the spec port before the target port), fails when refused or unreachable', async () => {
      const r = await lab.probes([
        [{ kind: 'tcp', port: null }, at(7003)],
        [{ kind: 'tcp', port: 7003 }, at(1)],
        [{ kind: 'tcp', port: null }, at(7999)],
        [{ kind: 'tcp', port: null }, { address: UNREACHABLE, port: 80 }],
      ]);
      expect(verdicts(r)).toEqual([ok('connected'), ok('connected'), fail('connection refused'), fail('host unreachable')]);
    });

    it('times out on silence at the deadline, and stops at once when aborted', async () => {
      const [late, aborted] = await lab.probes([
        [{ kind: 'tcp', port: null }, { address: SILENT, port: 80 }, 300],
        [{ kind: 'tcp', port: null }, { address: SILENT, port: 80 }, 5000, 100],
      ]);
      expect(verdicts([late, aborted])).toEqual([fail('timed out after 300 ms'), fail('aborted')]);
      expect(late.ms).toBeGreaterThanOrEqual(295);
      expect(late.ms).toBeLessThan(1500);
      expect(aborted.ms).toBeLessThan(2000);
    });

    it('half_open: a SYN-ACK passes and a RST fails with no connection made; silence times out; ICMP host unreachable fails at once', async () => {
      const half = { kind: 'tcp' as const, port: null, halfOpen: true };
      const r = await lab.probes([
        [half, at(7003)], [half, at(7999)], [half, { address: SILENT, port: 80 }, 500], [half, at(7003, CLIENT_2ND)], [half, { address: UNREACHABLE, port: 80 }, 5000],
      ]);
      expect(verdicts(r)).toEqual([
        ok('open (SYN-ACK)'), fail('connection refused (RST)'), fail('timed out after 500 ms'), ok('open (SYN-ACK)'), fail(`host unreachable (ICMP from ${SERVER})`),
      ]);
    });

    it('binds bindTo, and fails when it is not a local address', async () => {
      const r = await lab.probes([
        [nanny({ expect: 'peer 198.18.1.3' }), at(7006, '198.18.1.3')],
        [{ kind: 'tcp', port: null }, at(7003, '198.18.77.7')],
      ]);
      expect(verdicts(r)).toEqual([ok('expect matched'), fail('local address not available')]);
    });
  });

  describe('nanny over TCP', () => {
    it('sends `send` and compares the reply with `expect` as strncmp does; reads a greeting when there is nothing to send', async () => {
      const r = await lab.probes([
        [nanny({ send: 'PING\r\n', expect: 'PING' }), at(7002)],
        [nanny({ send: 'GET / HTTP/1.0\r\n\r\n', expect: 'HTTP/1.1 200' }), at(7004)],
        [nanny({ expect: '220 probe' }), at(7001)],
        [nanny({ send: 'PING', expect: 'PING' }), at(7999)],
      ]);
      expect(verdicts(r)).toEqual([ok('expect matched'), fail('expect mismatch: got "HTTP/1.1 500"'), ok('expect matched'), fail('connection refused')]);
    });

    it('treats expect as a regex with use_regex', async () => {
      const r = await lab.probes([
        [nanny({ send: 'x', expect: '^HTTP/1\\.[01] 5[0-9]{2} ', useRegex: true }), at(7004)],
        [nanny({ send: 'x', expect: '200 OK', useRegex: true }), at(7004)],
      ]);
      expect(verdicts(r)).toEqual([ok('expect matched'), fail('expect regex did not match: got "HTTP/1.1 500 Internal Server Error\\r\\n\\r\\n"')]);
    });

    it('accepts any byte for "*"; fails when the server closes without one, or says nothing until the deadline', async () => {
      const r = await lab.probes([
        [nanny({ expect: '*' }), at(7001)],
        [nanny({ expect: '*' }), at(7005)],
        [nanny({ expect: '220' }), at(7003), 300],
      ]);
      expect(verdicts(r)).toEqual([ok('expect matched'), fail('expect mismatch: no reply'), fail('timed out after 300 ms waiting for a reply')]);
    });

    it('sends "GET / HTTP/1.0" to port 80 with neither send nor expect, where a sent request is enough; elsewhere only connects', async () => {
      const from = lab.events.length;
      const r = await lab.probes([
        [nanny({}), at(80)],
        [nanny({}), at(7003)],
      ]);
      expect(verdicts(r)).toEqual([ok('connected, sent'), ok('connected')]);
      expect((await seen('tcp80', from)).map((e) => e.data)).toEqual(['GET / HTTP/1.0\r\n\r\n']);
    });
  });

  describe('nanny over UDP', () => {
    const unanny = (o: Partial<NannyCheck>) => nanny({ protocol: 'udp', ...o });

    it('compares the reply datagram with expect; silence fails', async () => {
      const r = await lab.probes([
        [unanny({ send: 'hello', expect: 'hello' }), at(9000)],
        [unanny({ send: 'hello', expect: 'hello' }), at(9001)],
        [unanny({ send: 'hello', expect: 'hello' }), at(9002), 300],
      ]);
      expect(verdicts(r)).toEqual([ok('expect matched'), fail('expect mismatch: got "\\xde\\xad\\xbe\\xef\\x01"'), fail('timed out after 300 ms waiting for a reply')]);
    });

    it('without expect: a reply or silence passes; port or host unreachable fails', async () => {
      const r = await lab.probes([
        [unanny({}), at(9000)],
        [unanny({}), at(9002), 300],
        [unanny({}), at(9003)],
        [unanny({ send: 'x' }), { address: UNREACHABLE, port: 9000 }],
      ]);
      expect(verdicts(r)).toEqual([ok('reply received'), ok('no reply, no ICMP error'), fail('port unreachable'), fail('host unreachable')]);
    });
  });

  describe('http', () => {
    it('passes a status within the ranges and fails one outside', async () => {
      const r = await lab.probes([
        [http({}), at(8080)],
        [http({ path: '/status/500' }), at(8080)],
        [http({ path: '/status/302', status: [[200, 299], [300, 302]] }), at(8080)],
        [http({ path: '/nothing-here' }), at(8080)],
      ]);
      expect(verdicts(r)).toEqual([ok('status 200'), fail('status 500'), ok('status 302'), fail('status 404')]);
    });

    it('compares the MD5 of the body with digest', async () => {
      const r = await lab.probes([
        [http({ digest: md5('hello world\n') }), at(8080)],
        [http({ digest: md5('something else') }), at(8080)],
      ]);
      expect(verdicts(r)).toEqual([ok('status 200'), fail(`digest mismatch: got ${md5('hello world\n')}`)]);
    });

    it('tests the body with regex, inverted by regex_no_match', async () => {
      const r = await lab.probes([
        [http({ regex: 'hel+o w' }), at(8080)],
        [http({ regex: 'goodbye' }), at(8080)],
        [http({ regex: 'hello', regexNoMatch: true }), at(8080)],
        [http({ regex: 'goodbye', regexNoMatch: true }), at(8080)],
      ]);
      expect(verdicts(r)).toEqual([ok('status 200'), fail('body does not match regex'), fail('body matches regex (regex_no_match)'), ok('status 200')]);
    });

    it('sends virtualhost as Host, else the address and port', async () => {
      const from = lab.events.length;
      await lab.probes([
        [http({ path: '/host?vh', virtualhost: 'www.example.test' }), at(8080)],
        [http({ path: '/host?plain' }), at(8080)],
      ]);
      for (let i = 0; i < 50 && lab.eventsOf('host', from).length < 2; i++) await sleep(20);
      const hosts = lab.eventsOf('host', from).map((e) => [e.path, e.host]);
      expect(hosts.sort()).toEqual([['?plain', '198.18.0.2:8080'], ['?vh', 'www.example.test']]);
    });

    it('fails a body over 1 MiB when it must be read, and does not read it otherwise', async () => {
      const r = await lab.probes([
        [http({ path: '/big', digest: md5('x') }), at(8080)],
        [http({ path: '/big' }), at(8080)],
      ]);
      expect(verdicts(r)).toEqual([fail('body over 1 MiB'), ok('status 200')]);
    });

    it('holds one deadline for the whole exchange: no answer, or a body that trickles', async () => {
      const r = await lab.probes([
        [http({ path: '/slow' }), at(8080), 400],
        [http({ path: '/trickle', regex: 'never' }), at(8080), 400],
      ]);
      expect(verdicts(r)).toEqual([fail('timed out after 400 ms'), fail('timed out after 400 ms')]);
      expect(r[1].ms).toBeLessThan(2000);
    });

    it('fails a refused connection; uses the spec port and binds bindTo', async () => {
      const r = await lab.probes([
        [http({}), at(8999)],
        [http({ port: 8080 }), at(1)],
        [http({ path: '/peer', regex: '^peer 198\\.18\\.1\\.3\\n$' }), at(8080, '198.18.1.3')],
        [http({ path: '/peer', regex: '^peer 198\\.18\\.1\\.3\\n$' }), at(8080, CLIENT_2ND)],
      ]);
      expect(verdicts(r)).toEqual([fail('connection refused'), ok('status 200'), ok('status 200'), fail('body does not match regex')]);
    });
  });

  describe.skipIf(!HAVE_OPENSSL)(`https${HAVE_OPENSSL ? '' : ' [skipped: needs openssl to make a certificate]'}`, () => {
    it('sends sni as the TLS server name (none when null, even with a virtualhost); accepts a self-signed certificate', async () => {
      const from = lab.events.length;
      const r = await lab.probes([
        [http({ kind: 'https', path: '/a', sni: 'probe.test', regex: '^sni probe\\.test\\n$' }), at(8443)],
        [http({ kind: 'https', path: '/b', virtualhost: 'www.example.test', regex: '^sni \\(none\\)' }), at(8443)],
      ]);
      expect(verdicts(r)).toEqual([ok('status 200'), ok('status 200')]);
      for (let i = 0; i < 50 && lab.eventsOf('sni', from).length < 2; i++) await sleep(20);
      const seenSni = Object.fromEntries(lab.eventsOf('sni', from).map((e) => [e.path, e.sni]));
      expect(seenSni).toEqual({ '/a': 'probe.test', '/b': null });
    });

    it('fails on a server that does not speak TLS', async () => {
      expect(verdicts(await lab.probes([[http({ kind: 'https' }), at(8080)]]))).toEqual([fail('tls: wrong version number')]);
    });
  });

  describe('dns', () => {
    it('passes NOERROR, saying how many records of the type came, even none (as keepalived does)', async () => {
      const from = lab.events.length;
      const r = await lab.probes([
        [dns('ok.test'), at(53)],
        [dns('ok.test', 'AAAA'), at(53)],
        [dns('badid.test'), at(53)],
        [{ ...dns('ok.test'), port: null }, at(5353)],
      ]);
      expect(verdicts(r)).toEqual([ok('NOERROR, 2 A records'), ok('NOERROR, 0 AAAA records'), ok('NOERROR, 1 A record'), ok('NOERROR, 2 A records')]);
      for (let i = 0; i < 50 && lab.eventsOf('dns', from).length < 4; i++) await sleep(20);
      expect(lab.eventsOf('dns', from).map((e) => `${e.name} ${e.type}`).sort()).toEqual(['badid.test 1', 'ok.test 1', 'ok.test 1', 'ok.test 28']);
    });

    it('fails any other RCODE, silence, and a closed port', async () => {
      const r = await lab.probes([
        [dns('nx.test'), at(53)],
        [dns('fail.test'), at(53)],
        [dns('refused.test'), at(53)],
        [dns('silent.test'), at(53), 300],
        [{ ...dns('ok.test'), port: 5399 }, at(53)],
      ]);
      expect(verdicts(r)).toEqual([fail('rcode NXDOMAIN'), fail('rcode SERVFAIL'), fail('rcode REFUSED'), fail('timed out after 300 ms'), fail('port unreachable')]);
    });
  });

  describe('udp', () => {
    it('matches the reply byte by byte (null matches anything), within the length bounds, on as many bytes as came (check_udp_reply)', async () => {
      const r = await lab.probes([
        [udp([1, 2, 3], [1, null, 3]), at(9000)],
        [udp([1, 2, 3], [1, 9, 3]), at(9000)],
        [udp([0], [0xde, 0xad], 0, 4), at(9001)],
        [udp([0], [0xde, 0xad], 8), at(9001)],
        [udp([0], [0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4]), at(9001)],
      ]);
      expect(verdicts(r)).toEqual([
        ok('reply received'),
        fail('reply mismatch at byte 1: got 0x02, want 0x09'),
        fail('reply length 6 outside 0..4'),
        fail('reply length 6 outside 8..255'),
        ok('reply received'),
      ]);
    });

    it('with no reply required silence passes and ICMP unreachable fails; with one required (even an empty pattern) silence fails', async () => {
      const r = await lab.probes([
        [udp([1], null), at(9002), 300],
        [udp([1], null), at(9003)],
        [udp([1], null), { address: UNREACHABLE, port: 9000 }],
        [udp([1], []), at(9002), 300],
      ]);
      expect(verdicts(r)).toEqual([ok('no reply, no ICMP error'), fail('port unreachable'), fail('host unreachable'), fail('timed out after 300 ms waiting for a reply')]);
    });

    it('sends 32 filler bytes when there is no payload; binds bindTo', async () => {
      const filler = [...Buffer.from('tsvs check - tsvs check - tsvs c')];
      const r = await lab.probes([
        [udp([], filler, 32, 32), at(9000)],
        [udp([1], [...Buffer.from('198.18.1.3')], 10, 10), at(9004, '198.18.1.3')],
        [udp([1], [...Buffer.from(CLIENT_2ND)], 10, 10), at(9004, CLIENT_2ND)],
        [udp([1], null), at(9004, '198.18.77.7')],
      ]);
      expect(verdicts(r)).toEqual([ok('reply received'), ok('reply received'), ok('reply received'), fail('local address not available')]);
    });
  });

  describe('icmp', () => {
    it('passes on an echo reply; fails on an ICMP error quoting the request, a local routing error, or silence', async () => {
      const r = await lab.probes([
        [{ kind: 'icmp' }, at(0)],
        [{ kind: 'icmp' }, { address: UNREACHABLE, port: 0 }],
        [{ kind: 'icmp' }, { address: '198.19.255.1', port: 0 }],
        [{ kind: 'icmp' }, { address: SILENT, port: 0 }, 300],
      ]);
      expect(verdicts(r)).toEqual([ok('echo reply'), fail('host unreachable (from 198.18.0.2)'), fail('network is unreachable'), fail('timed out after 300 ms')]);
    });

    it('sends from bindTo: the reply comes back only where the server routes it', async () => {
      // S blackholes 198.18.1.4 and routes 198.18.1.3 back: had the source been any other address, both would pass.
      const r = await lab.probes([
        [{ kind: 'icmp' }, at(0, '198.18.1.3')],
        [{ kind: 'icmp' }, at(0, '198.18.1.4'), 300],
        [{ kind: 'icmp' }, at(0, '198.18.77.7')],
      ]);
      expect(verdicts(r)).toEqual([ok('echo reply'), fail('timed out after 300 ms'), fail('local address not available')]);
    });
  });

  it('many probes of every kind at once leave nothing open, and the runner exits by itself', async () => {
    const jobs: Job[] = [];
    for (let i = 0; i < 4; i++) {
      jobs.push(
        { spec: { kind: 'tcp', port: null }, target: at(7003), timeoutMs: 1000 },
        { spec: { kind: 'tcp', port: null }, target: at(7999), timeoutMs: 1000 },
        { spec: { kind: 'tcp', port: null }, target: { address: SILENT, port: 80 }, timeoutMs: 200 },
        { spec: { kind: 'tcp', port: null }, target: { address: SILENT, port: 80 }, timeoutMs: 2000, abortAfterMs: 50 },
        { spec: nanny({ send: 'PING', expect: 'PING' }), target: at(7002), timeoutMs: 1000 },
        { spec: nanny({ expect: '220' }), target: at(7003), timeoutMs: 200 },
        { spec: nanny({ protocol: 'udp' }), target: at(9002), timeoutMs: 200 },
        { spec: http({}), target: at(8080), timeoutMs: 1000 },
        { spec: http({ path: '/slow' }), target: at(8080), timeoutMs: 200 },
        { spec: http({ path: '/trickle', regex: 'x' }), target: at(8080), timeoutMs: 2000, abortAfterMs: 100 },
        { spec: dns('ok.test'), target: at(53), timeoutMs: 1000 },
        { spec: dns('silent.test'), target: at(53), timeoutMs: 200 },
        { spec: udp([1], null), target: at(9003), timeoutMs: 1000 },
        { spec: { kind: 'icmp' }, target: at(0), timeoutMs: 1000 },
        { spec: { kind: 'icmp' }, target: { address: SILENT, port: 0 }, timeoutMs: 200 },
        { spec: { kind: 'misc', command: 'sleep 5', timeout: 0.2, dynamic: false }, target: at(0), timeoutMs: 1000 },
      );
    }
    const out = await lab.runAll(jobs, 10_000);
    expect(out.handles).toEqual([]);
    expect(out.results.map((r) => r.ok)).toEqual(jobs.map((_, i) => [true, false, false, false, true, false, true, true, false, false, true, false, false, true, false, false][i % 16]));
  });
});
