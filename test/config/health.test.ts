// Health checks in lvs.cf: Piranha's nanny keys and tsvs's `check KIND {}` blocks
// (keepalived's checkers): parse, errors with file:line, write back, compile into
// compileLvsCf's `health` (never into the table).
import { describe, expect, it } from 'vitest';
import {
  blocks,
  CHECK_KEYS,
  compileLvsCf,
  lvsCfFromTable,
  parseLvsCf,
  SERVER_WRITE_ORDER,
  setKey,
  writeLvsCf,
  type Block,
} from '../../src/config/index.js';
import type { CheckTiming, ServerChecks, ServiceHealth } from '../../src/health/types.js';
import { buildTable } from '../../src/model/index.js';
import { codes, errorsOf, fixture } from './helpers.js';

const compile = (text: string, file = 'lvs.cf') => compileLvsCf(parseLvsCf(text, file));
const health = (text: string) => compile(text).health;
const svc = (text: string, i = 0): ServiceHealth => health(text).services[i];
const server = (text: string, i = 0): ServerChecks => svc(text).servers[i];
const errs = (text: string) => codes(errorsOf(() => compile(text, 'x.cf')));
const messages = (text: string) => errorsOf(() => compile(text, 'x.cf')).errors.map(String);

/** One active virtual with one server; `inVirtual` goes before the server, `inServer` inside it. */
const cf = (inVirtual: string, inServer = '', head = '') =>
  `${head}virtual web {\n    active = 1\n    address = 198.18.0.10 eth0\n${inVirtual}    server a {\n        active = 1\n        address = 198.19.0.11\n${inServer}    }\n}\n`;
const check = (kind: string, body = '') => `    check ${kind} {\n${body}    }\n`;

/** keepalived's defaults as the timing of a check block in a virtual with Piranha's defaults. */
const DEFAULT_TIMING: CheckTiming = {
  interval: 10, connectTimeout: 5, retry: 1, delayBeforeRetry: 1, rise: 1, fall: 1, warmup: 0, alpha: false, inhibitOnFailure: false, notifyUp: null, notifyDown: null,
};

describe('check blocks: each kind with its defaults', () => {
  it('tcp: connect to the server port, every `timeout` (10 s), connect timeout 5 s, retry 1 after 1 s', () => {
    const s = server(cf(check('tcp')));
    expect(s).toEqual({ service: 'TCP 198.18.0.10:80', address: '198.19.0.11', port: 80, weight: 1, checks: [{ kind: 'tcp', port: null }], timing: DEFAULT_TIMING, reentry: 0 });
  });

  it('http: GET / accepting 200-299, retry 1 after 3 s (keepalived HTTP_GET)', () => {
    const s = server(cf(check('http')));
    expect(s.checks).toEqual([{ kind: 'http', port: null, path: '/', status: [[200, 299]], digest: null, regex: null, regexNoMatch: false, virtualhost: null, sni: null }]);
    expect(s.timing).toEqual({ ...DEFAULT_TIMING, delayBeforeRetry: 3 });
  });

  it('https: as http, no SNI unless given', () => {
    expect(server(cf(check('https'))).checks[0]).toMatchObject({ kind: 'https', path: '/', status: [[200, 299]], sni: null });
  });

  it('dns: SOA for "." with 3 retries (keepalived DNS_CHECK)', () => {
    const s = server(cf(check('dns')));
    expect(s.checks).toEqual([{ kind: 'dns', port: null, type: 'SOA', name: '.' }]);
    expect(s.timing.retry).toBe(3);
  });

  it('udp: an empty datagram, no reply needed; require_reply = "" wants one of any content, 0..255 bytes', () => {
    expect(server(cf(check('udp'))).checks).toEqual([{ kind: 'udp', port: null, payload: new Uint8Array(0), reply: null, minReply: 0, maxReply: 255 }]);
    expect(server(cf(check('udp', '        require_reply = ""\n'))).checks[0]).toMatchObject({ reply: [] });
  });

  it('icmp: an echo, no port', () => {
    expect(server(cf(check('icmp'))).checks).toEqual([{ kind: 'icmp' }]);
  });

  it('misc: the command, its timeout the delay_loop, no retry (keepalived MISC_CHECK)', () => {
    const s = server(cf(check('misc', '        path = "/usr/local/bin/ok %h %p"\n')));
    expect(s.checks).toEqual([{ kind: 'misc', command: '/usr/local/bin/ok %h %p', timeout: 10, dynamic: false }]);
    expect(s.timing.retry).toBe(0);
  });

  it("takes delay_loop from the virtual's timeout, alpha from its alpha, inhibit_on_failure from quiesce_server", () => {
    const s = server(cf(`    timeout = 4\n    alpha = 1\n    quiesce_server = 1\n${check('tcp')}`));
    expect(s.timing).toEqual({ ...DEFAULT_TIMING, interval: 4, alpha: true, inhibitOnFailure: true });
  });

  it('gives a firewall-mark service\'s servers (port 0) the virtual\'s port to check', () => {
    const text = 'fwmark_rule = tcp 198.18.0.10 80,443 5\n' + cf(`    fwmark = 5\n    port = 443\n${check('tcp')}${check('icmp')}`);
    const s = server(text);
    expect(s.port).toBe(0);
    expect(s.checks).toEqual([{ kind: 'tcp', port: 443 }, { kind: 'icmp' }]);
    expect(s.service).toBe('FWM 5');
  });
});

describe('check blocks: explicit values (checks.cf)', () => {
  const h = compile(fixture('checks.cf'), 'checks.cf').health;
  const [smtp, web, dns, mark] = h.services;

  it('http with every key, applied to every server of the virtual', () => {
    const http = {
      kind: 'http', port: 8080, path: '/healthz', status: [[200, 299], [301, 301]], digest: '0123456789abcdef0123456789abcdef',
      regex: '^ok\\s', regexNoMatch: false, virtualhost: 'www.example.com', sni: null,
    };
    expect(web.servers[0].checks).toEqual([http]);
    expect(web.servers[0].timing).toEqual({
      interval: 3, connectTimeout: 2, retry: 2, delayBeforeRetry: 1, rise: 2, fall: 3, warmup: 5,
      // the block's alpha = 0 wins over the virtual's alpha = 1
      alpha: false, inhibitOnFailure: true, notifyUp: '/usr/local/bin/note up %h', notifyDown: '/usr/local/bin/note down %h',
    });
    expect(web.servers[1].checks[0]).toEqual(http);
  });

  it("a server's blocks are added to its virtual's, and its timing keys win", () => {
    const [web1, web2] = web.servers;
    expect(web2.checks.map((c) => c.kind)).toEqual(['http', 'misc', 'https']);
    expect(web2.checks[1]).toEqual({ kind: 'misc', command: '/usr/local/bin/db-ok %h', timeout: 2, dynamic: true });
    expect(web2.checks[2]).toMatchObject({ kind: 'https', port: 443, path: '/', sni: 'www.example.com' });
    expect([web1.timing.rise, web2.timing.rise]).toEqual([2, 4]);
    expect(web2.timing.interval).toBe(3);
  });

  it('dns, udp and icmp together; retry is the largest default of the kinds (dns: 3)', () => {
    const [ns1] = dns.servers;
    expect(ns1.checks).toEqual([
      { kind: 'dns', port: null, type: 'A', name: 'www.example.com' },
      { kind: 'udp', port: 5353, payload: new Uint8Array([1, 2, 0xff]), reply: [1, 2, null, 4], minReply: 4, maxReply: 512 },
      { kind: 'icmp' },
    ]);
    expect(ns1.timing).toMatchObject({ interval: 10, retry: 3, delayBeforeRetry: 1 });
  });

  it('checks = none: a server without a block is not checked; one with a block is', () => {
    expect(mark.service).toBe('FWM 7');
    expect(mark.servers.map((s) => [s.address, s.port, s.checks])).toEqual([
      ['198.18.0.41', 0, [{ kind: 'tcp', port: 8443, halfOpen: true }]],
      ['198.18.0.42', 0, []],
    ]);
  });

  it('compiles quorum, hysteresis, their commands and the sorry server', () => {
    expect(web).toMatchObject({ quorum: 3, hysteresis: 1, quorumUp: '/usr/local/bin/page web up', quorumDown: '/usr/local/bin/page web down', sorryServer: null });
    expect(smtp).toMatchObject({ quorum: 1, hysteresis: 0, quorumUp: null, quorumDown: null, sorryServer: { address: '198.18.9.9', port: 25 } });
    expect(h.hardShutdown).toBe(false);
  });

  it('reports none of the keys it compiles as not acted on', () => {
    const { notActedOn } = compile(fixture('checks.cf'), 'checks.cf');
    expect(notActedOn.map((n) => n.key)).toEqual(['serial_no', 'port']); // port: of the mark service, only the checks' port
  });

  it('keeps health data out of the table that crosses to the data plane', () => {
    const { table } = compile(fixture('checks.cf'), 'checks.cf');
    const json = JSON.stringify(table);
    for (const word of ['healthz', '"checks"', 'quorum', 'nanny', 'sorry', 'timing']) expect(json).not.toContain(word);
    expect(Object.keys(table).sort()).toEqual(['addresses', 'marks', 'services', 'switches', 'timeouts', 'version']);
    expect(Object.keys(table.services[0]).sort()).toEqual(['address', 'fwmark', 'name', 'onePacket', 'persistMask', 'persistence', 'port', 'protocol', 'schedFlags', 'scheduler', 'servers']);
  });
});

describe("nanny: Piranha's check from send, expect, send_program", () => {
  it('decodes send/expect escapes, quoted or not, and times it from timeout and reentry', () => {
    const s = server(cf(`    port = 25\n    send = "HELO x\\r\\n\\tend"\n    expect = 250\\t\n    timeout = 6\n    reentry = 30\n    quiesce_server = 1\n`));
    expect(s.checks).toEqual([{ kind: 'nanny', protocol: 'tcp', send: 'HELO x\r\n\tend', expect: '250\t', useRegex: false, sendProgram: null }]);
    expect(s.timing).toEqual({
      interval: 6, connectTimeout: 6, retry: 0, delayBeforeRetry: 0, rise: 1, fall: 1, warmup: 0, alpha: true, inhibitOnFailure: true, notifyUp: null, notifyDown: null,
    });
    expect(s.reentry).toBe(30);
  });

  it('port 80 with nothing configured: GET / HTTP/1.0 and expect HTTP (nanny.c), re-entry 180 s', () => {
    const s = server(cf(''));
    expect(s.port).toBe(80);
    expect(s.checks).toEqual([{ kind: 'nanny', protocol: 'tcp', send: 'GET / HTTP/1.0\r\n\r\n', expect: 'HTTP', useRegex: false, sendProgram: null }]);
    expect(s.timing).toMatchObject({ interval: 10, connectTimeout: 10, rise: 1, fall: 1 });
    expect(s.reentry).toBe(180);
  });

  it('the port-80 default is the virtual port: a server on 8080 behind port 80 still gets it; another port only connects', () => {
    const nat = (vport: number, rport: number) => `network = nat\n${cf(`    port = ${vport}\n`, `        port = ${rport}\n`)}`;
    expect(server(nat(80, 8080)).checks[0]).toMatchObject({ send: 'GET / HTTP/1.0\r\n\r\n', expect: 'HTTP' });
    expect(server(nat(8080, 80)).checks[0]).toMatchObject({ send: null, expect: null });
  });

  it('the nanny sample file: send_program overrides send, use_regex, a UDP service', () => {
    const s = server(cf('    protocol = udp\n    port = 53\n    send = "q"\n    expect = "^ok"\n    use_regex = 1\n    send_program = "/bin/testlink %h"\n'));
    expect(s.checks).toEqual([{ kind: 'nanny', protocol: 'udp', send: null, expect: '^ok', useRegex: true, sendProgram: '/bin/testlink %h' }]);
    expect(compile(cf('    send = "q"\n    send_program = "/bin/t %h"\n')).notActedOn.map((n) => `${n.line} ${n.key}: ${n.why}`))
      .toEqual(['4 send: send_program is set and overrides send (nanny ignores send then)']);
  });

  it('reentry = 0 is nanny\'s 180 s, and says so', () => {
    const r = compile(cf('    reentry = 0\n'));
    expect(r.health.services[0].servers[0].reentry).toBe(180);
    expect(r.notActedOn.map((n) => `${n.line} ${n.key}: ${n.why}`)).toEqual(['4 reentry: nanny takes reentry = 0 as its default, 180 s']);
  });

  it('a firewall-mark service: nanny checks the virtual port', () => {
    const s = server('fwmark_rule = tcp 198.18.0.10 80,443 5\n' + cf('    fwmark = 5\n    port = 443\n    expect = "ok"\n'));
    expect(s.checks).toEqual([{ kind: 'nanny', protocol: 'tcp', port: 443, send: null, expect: 'ok', useRegex: false, sendProgram: null }]);
  });

  it('checks = none: the servers are not checked (always up), and the nanny keys say so', () => {
    const r = compile(cf('    checks = none\n    send = "x"\n'));
    expect(r.health.services[0].servers[0].checks).toEqual([]);
    expect(r.notActedOn.map((n) => `${n.line} ${n.key}: ${n.why}`)).toEqual(['5 send: checks = none: no server gets the nanny check']);
  });

  it('check blocks on the virtual replace nanny: its keys are reported unused', () => {
    const r = compile(cf(`    expect = "x"\n${check('tcp')}`));
    expect(r.notActedOn.map((n) => `${n.line} ${n.key}: ${n.why}`)).toEqual(['4 expect: every server has check blocks, which replace the nanny check']);
  });

  it('a server with a block of its own gets only it; the others keep nanny', () => {
    const text = cf('', check('tcp').replace(/^ {4}/gm, '        ')).replace('    }\n}\n', '    }\n    server b {\n        active = 1\n        address = 198.19.0.12\n    }\n}\n');
    const [a, b] = svc(text).servers;
    expect(a.checks).toEqual([{ kind: 'tcp', port: null }]);
    expect(b.checks.map((c) => c.kind)).toEqual(['nanny']);
  });

  it('hard_shutdown defaults to 1 and is used, not reported', () => {
    expect(health(cf('')).hardShutdown).toBe(true);
    const r = compile(`hard_shutdown = 0\n${cf('')}`);
    expect(r.health.hardShutdown).toBe(false);
    expect(r.notActedOn).toEqual([]);
  });

  it('sorry server: the virtual port, 0 for a firewall mark', () => {
    expect(svc(cf('    sorry_server = 198.18.9.9\n    port = 8080\n')).sorryServer).toEqual({ address: '198.18.9.9', port: 8080 });
    expect(svc('fwmark_rule = tcp any 80 5\n' + cf('    fwmark = 5\n    sorry_server = 198.18.9.9\n')).sorryServer).toEqual({ address: '198.18.9.9', port: 0 });
  });
});

describe('check blocks: errors, each with file:line', () => {
  it('a key of another kind', () => {
    expect(messages(cf(check('http', '        sni = a.example\n')))).toEqual(['x.cf:5: BADCOMMAND: sni is not a key of check http (it belongs to check https)']);
    expect(errs(cf(check('icmp', '        port = 7\n')))).toEqual(['5 BADCOMMAND']);
    expect(errs(cf(check('tcp', '        path = /\n')))).toEqual(['5 BADCOMMAND']);
    expect(errs(cf(check('dns', '        payload = 00\n')))).toEqual(['5 BADCOMMAND']);
  });

  it('a virtual key in a check block, a check key outside one', () => {
    expect(messages(cf(check('tcp', '        timeout = 3\n')))).toEqual(['x.cf:5: BADCOMMAND: timeout is a virtual key, not valid in a check tcp block']);
    expect(messages(cf('    delay_loop = 3\n'))).toEqual(['x.cf:4: BADCOMMAND: delay_loop is a check block (check KIND { ... }) key, not valid in a virtual block']);
  });

  it('misc without path', () => {
    expect(messages(cf(check('misc', '        misc_timeout = 3\n')))).toEqual(['x.cf:4: MISSINGKEY: check misc needs path = "COMMAND" (the program to run; %h and %p are the address and port)']);
  });

  it('bad status ranges', () => {
    const status = (v: string) => errs(cf(check('http', `        status = ${v}\n`)));
    expect(status('299-200')).toEqual(['5 RANGE']);
    expect(status('200-600')).toEqual(['5 RANGE']);
    expect(status('2xx')).toEqual(['5 BADARGUMENT']);
    expect(status('200,,301')).toEqual(['5 BADARGUMENT']);
  });

  it('bad hex: payload, require_reply, digest', () => {
    expect(errs(cf(check('udp', '        payload = 012\n')))).toEqual(['5 BADARGUMENT']);
    expect(errs(cf(check('udp', '        payload = 01zz\n')))).toEqual(['5 BADARGUMENT']);
    expect(errs(cf(check('udp', '        require_reply = 01X2\n')))).toEqual(['5 BADARGUMENT']);
    expect(errs(cf(check('http', '        digest = 0123\n')))).toEqual(['5 BADARGUMENT']);
  });

  it('reply lengths the wrong way round, a bad regex, a bad DNS type, a zero interval', () => {
    expect(errs(cf(check('udp', '        min_reply_length = 10\n        max_reply_length = 4\n')))).toEqual(['6 RANGE']);
    expect(errs(cf(check('http', '        regex = "(unclosed"\n')))).toEqual(['5 BADARGUMENT']);
    expect(errs(cf(check('dns', '        type = PTR\n')))).toEqual(['5 BADARGUMENT']);
    expect(errs(cf(check('tcp', '        delay_loop = 0\n')))).toEqual(['5 RANGE']);
    expect(errs(cf('    timeout = 0\n'))).toEqual(['4 RANGE']);
  });

  it('a check block outside virtual and server, or inside another', () => {
    expect(messages('check tcp {\n}\n')).toEqual(['x.cf:1: BADCOMMAND: a check block belongs inside a virtual or server block, not at the top level']);
    expect(errs('failover f {\n    check tcp {\n    }\n}\n')).toEqual(['2 BADCOMMAND']);
    expect(errs(cf(check('tcp', '        check icmp {\n        }\n')))).toEqual(['5 BADCOMMAND']);
  });

  it('an unknown or missing KIND', () => {
    expect(messages(cf(check('smtp')))).toEqual(['x.cf:4: BADARGUMENT: check "smtp" is not one of tcp, http, https, dns, udp, icmp, misc']);
    expect(errs(cf('    check {\n    }\n'))).toEqual(['4 MISSINGARGS']);
  });

  it('two blocks of one level disagreeing on a timing key (a server overriding its virtual is fine)', () => {
    expect(messages(cf(check('tcp', '        delay_loop = 5\n') + check('icmp', '        delay_loop = 2\n')))).toEqual([
      "x.cf:8: CONFLICT: delay_loop = 2 disagrees with delay_loop = 5 at line 5: a server's checks run as one round and share their timing; set it once",
    ]);
    expect(server(cf(check('tcp', '        rise = 2\n') + check('icmp', '        rise = 2\n'))).timing.rise).toBe(2);
    expect(server(cf(check('tcp', '        rise = 2\n'), check('icmp', '        rise = 5\n').replace(/^ {4}/gm, '        '))).timing.rise).toBe(5);
  });

  it('quorum and the virtual-level keys', () => {
    expect(errs(cf('    quorum = 0\n'))).toEqual(['4 RANGE']);
    expect(messages(cf('    quorum = 2\n    hysteresis = 2\n'))).toEqual(['x.cf:5: RANGE: hysteresis 2 must be less than quorum 2 (the service would never go down)']);
    expect(errs(cf('    checks = maybe\n'))).toEqual(['4 BADARGUMENT']);
  });

  it('collects every error of a file, check blocks included', () => {
    const text = cf(check('http', '        sni = a\n        status = 9\n') + check('misc'), check('bogus').replace(/^ {4}/gm, '        '));
    expect(errs(text)).toEqual(['5 BADCOMMAND', '6 BADARGUMENT', '8 MISSINGKEY', '13 BADARGUMENT']);
  });
});

describe('check blocks: writing back', () => {
  it('checks.cf round-trips byte for byte, and the tree too', () => {
    const text = fixture('checks.cf');
    const cfg = parseLvsCf(text, 'checks.cf');
    expect(writeLvsCf(cfg)).toBe(text);
    expect(parseLvsCf(writeLvsCf(cfg), 'checks.cf')).toEqual(cfg);
  });

  it('a key changed inside a check block of a server is rewritten in place, quoted as its kind wants', () => {
    const cfg = parseLvsCf(fixture('checks.cf'), 'checks.cf');
    const web2 = blocks(blocks(cfg.items, 'virtual')[1].items, 'server')[1];
    const misc = blocks(web2.items, 'check')[0];
    setKey(misc.items, 'check', 'path', '/usr/local/bin/db-ok --fast %h', []);
    const out = writeLvsCf(cfg);
    expect(out).toBe(fixture('checks.cf').replace('path = "/usr/local/bin/db-ok %h"', 'path = "/usr/local/bin/db-ok --fast %h"'));
  });

  it('a new server key goes before its check blocks', () => {
    const cfg = parseLvsCf(fixture('checks.cf'), 'checks.cf');
    const web2 = blocks(blocks(cfg.items, 'virtual')[1].items, 'server')[1];
    setKey(web2.items, 'server', 'uthreshold', 100, SERVER_WRITE_ORDER);
    expect(writeLvsCf(cfg)).toBe(fixture('checks.cf').replace('        weight = 2\n        # web2', '        weight = 2\n        uthreshold = 100\n        # web2'));
  });

  it('lvsCfFromTable keeps the check blocks of the base, and drops those of a deleted server with it', () => {
    const base = parseLvsCf(fixture('checks.cf'), 'checks.cf');
    const { table } = compileLvsCf(base);
    const [smtp, web, dns, mark] = table.services;
    const edited = buildTable({
      addresses: [...table.addresses],
      marks: [...table.marks],
      timeouts: table.timeouts,
      services: [smtp, { ...web, servers: [{ ...web.servers[0], weight: 5 }, web.servers[1]] }, dns, { ...mark, servers: [mark.servers[1]] }],
    });
    const text = writeLvsCf(lvsCfFromTable(edited, base));
    // Every check block of the base is there byte for byte (with the comments before it), except m1's.
    const checkBlocks = fixture('checks.cf').match(/(?:^ *#.*\n)* *check \w+ \{\n(?: .*\n)*? *\}.*\n/gm)!;
    expect(checkBlocks).toHaveLength(7);
    for (const b of checkBlocks.filter((b) => !b.includes('check tcp'))) expect(text).toContain(b);
    expect(text).not.toContain('check tcp');
    expect(text).toContain('server m2 {');
    const again = compileLvsCf(parseLvsCf(text, 'checks.cf'));
    expect(again.table.services[1].servers[0].weight).toBe(5);
    expect(again.health.services.map((s) => s.servers.map((r) => r.checks.map((c) => c.kind).join('+')))).toEqual([
      ['nanny'], ['http', 'http+misc+https'], ['dns+udp+icmp'], [''],
    ]);
  });
});

describe('the check key tables', () => {
  it('checks.cf uses every key of every kind at least once', () => {
    const cfg = parseLvsCf(fixture('checks.cf'), 'checks.cf');
    const all: Block[] = [];
    const walk = (b: Block) => {
      if (b.type === 'check') all.push(b);
      b.items.forEach((i) => i.kind === 'block' && walk(i));
    };
    cfg.items.forEach((i) => i.kind === 'block' && walk(i));
    const used = (kinds: string[]) => new Set(all.filter((b) => kinds.includes(b.name)).flatMap((b) => b.items.map((i) => (i.kind === 'key' ? i.key : ''))));
    expect(new Set(all.map((b) => b.name))).toEqual(new Set(Object.keys(CHECK_KEYS)));
    const everyKey = new Set(Object.values(CHECK_KEYS).flatMap((t) => Object.keys(t)));
    expect(new Set([...used(Object.keys(CHECK_KEYS))].filter(Boolean))).toEqual(everyKey);
    // the kind-specific keys, each in a block of a kind that has it
    for (const k of ['path', 'status', 'digest', 'regex', 'regex_no_match', 'virtualhost']) expect(used(['http', 'https']).has(k), k).toBe(true);
    for (const k of ['type', 'name']) expect(used(['dns']).has(k), k).toBe(true);
    for (const k of ['payload', 'require_reply', 'min_reply_length', 'max_reply_length']) expect(used(['udp']).has(k), k).toBe(true);
    for (const k of ['path', 'misc_timeout', 'misc_dynamic']) expect(used(['misc']).has(k), k).toBe(true);
  });
});

describe('load_monitor (nanny -U)', () => {
  it('gives every server of the virtual the tool, and uptime the global rsh_command', () => {
    expect(server(cf('    load_monitor = rup\n')).loadMonitor).toEqual({ tool: 'rup', rsh: 'rsh' });
    expect(server(cf('    load_monitor = uptime\n', '', 'rsh_command = ssh\n')).loadMonitor).toEqual({ tool: 'uptime', rsh: 'ssh' });
    expect(server(cf('    load_monitor = none\n')).loadMonitor).toBeUndefined();
  });
});
