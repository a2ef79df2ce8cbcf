import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { blocks, findKey, globalSettings, parseLvsCf, removeKey, setKey, VIRTUAL_WRITE_ORDER, GLOBAL_WRITE_ORDER, virtualSettings, writeLvsCf } from '../../src/config/index.js';
import { parseIPv4 } from '../../src/model/index.js';
import { fixture, FIXTURES } from './helpers.js';

const GOOD = readdirSync(FIXTURES).filter((f) => f.endsWith('.cf') && f !== 'many-errors.cf');

describe('writeLvsCf: round trips', () => {
  for (const name of GOOD) {
    it(`${name}: parse -> write gives the file back, parse -> write -> parse the same tree`, () => {
      const text = fixture(name);
      const cfg = parseLvsCf(text, name);
      const written = writeLvsCf(cfg);
      expect(written).toBe(text);
      expect(parseLvsCf(written, name)).toEqual(cfg);
    });
  }

  it('keeps comments of every kind through a round trip', () => {
    const text = '# header\n\nserial_no = 3 # bumped by the GUI\nvirtual v {\n    # health check\n    send = "GET /"\n\n    # closing remark\n}\n\n# tail\n';
    expect(writeLvsCf(parseLvsCf(text, 'x.cf'))).toBe(text);
  });

  it('normalises CRLF to LF and adds a final newline, without changing the tree', () => {
    const cfg = parseLvsCf('keepalive = 4\r\ndeadtime = 9', 'x.cf');
    const out = writeLvsCf(cfg);
    expect(out).toBe('keepalive = 4\ndeadtime = 9\n');
    expect(parseLvsCf(out, 'x.cf')).toEqual(cfg);
  });
});

describe('writeLvsCf: changed and new lines', () => {
  it('rewrites a changed key in place, keeping its indentation and trailing comment', () => {
    const cfg = parseLvsCf('virtual v {\n\tport = 80 # web\n\tscheduler = wlc\n}\n', 'x.cf');
    const [v] = blocks(cfg.items, 'virtual');
    setKey(v.items, 'virtual', 'port', 8080, VIRTUAL_WRITE_ORDER);
    setKey(v.items, 'virtual', 'scheduler', 'wlc', VIRTUAL_WRITE_ORDER); // same value: line untouched
    expect(writeLvsCf(cfg)).toBe('virtual v {\n\tport = 8080 # web\n\tscheduler = wlc\n}\n');
  });

  it('inserts a new key in GUI order, before the sub-blocks', () => {
    const cfg = parseLvsCf('virtual v {\n    active = 1\n    protocol = tcp\n    server s {\n    }\n}\n', 'x.cf');
    const [v] = blocks(cfg.items, 'virtual');
    setKey(v.items, 'virtual', 'scheduler', 'rr', VIRTUAL_WRITE_ORDER);
    setKey(v.items, 'virtual', 'address', { address: parseIPv4('198.18.0.10')!, device: 'eth0', alias: '1' }, VIRTUAL_WRITE_ORDER);
    setKey(v.items, 'virtual', 'quiesce_server', true, VIRTUAL_WRITE_ORDER);
    expect(writeLvsCf(cfg)).toBe(
      'virtual v {\n    active = 1\n    address = 198.18.0.10 eth0:1\n    scheduler = rr\n    protocol = tcp\n    quiesce_server = 1\n    server s {\n    }\n}\n',
    );
  });

  it('quotes what needs quoting and always quotes send/expect like the GUI', () => {
    const cfg = parseLvsCf('virtual v {\n}\n', 'x.cf');
    const [v] = blocks(cfg.items, 'virtual');
    setKey(v.items, 'virtual', 'send', 'GET / HTTP/1.0\r\n\r\n', VIRTUAL_WRITE_ORDER);
    setKey(v.items, 'virtual', 'expect', 'ok', VIRTUAL_WRITE_ORDER);
    setKey(v.items, 'virtual', 'dirs', ['/a dir', '/b'], VIRTUAL_WRITE_ORDER);
    const out = writeLvsCf(cfg);
    expect(out).toBe('virtual v {\n    send = "GET / HTTP/1.0\\r\\n\\r\\n"\n    expect = "ok"\n    dirs = [ "/a dir" /b ]\n}\n');
    expect(virtualSettings(blocks(parseLvsCf(out, 'x.cf').items, 'virtual')[0])).toMatchObject({ send: 'GET / HTTP/1.0\r\n\r\n', expect: 'ok', dirs: ['/a dir', '/b'] });
  });

  it('a new first key takes over the header comment; a removed key leaves its comments behind', () => {
    const cfg = parseLvsCf('# header\nnetwork = nat\n# about NAT\nnat_nmask = 255.255.255.0\nservice = lvs\n', 'x.cf');
    setKey(cfg.items, 'global', 'serial_no', 5, GLOBAL_WRITE_ORDER);
    removeKey(cfg.items, 'nat_nmask');
    expect(writeLvsCf(cfg)).toBe('# header\nserial_no = 5\nnetwork = nat\n# about NAT\nservice = lvs\n');
    expect(globalSettings(parseLvsCf(writeLvsCf(cfg), 'x.cf')).serial_no).toBe(5);
    expect(findKey(cfg.items, 'nat_nmask')).toBeUndefined();
  });
});
