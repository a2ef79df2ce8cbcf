import { describe, expect, it } from 'vitest';
import { parseLvsCf, writeLvsCf } from '../../src/config/index.js';
import { applyFields, bumpSerial, fieldText, findServer, findVirtual, nameBlock, toggleActive, validate, type FieldErrors } from '../../src/gui/edit.js';
import { keysOf } from '../../src/config/index.js';
import { findKey } from '../../src/config/ast.js';
import { SCRIPT_KEYS, SERVER_PANEL_KEYS, VIRTUAL_PANEL_KEYS } from '../../src/gui/pages.js';

const FILE = `# cluster of the guide
serial_no = 7
primary = 198.18.0.1
service = lvs
network = nat
nat_router = 198.18.1.254 eth1:1
debug_level = NONE

virtual web {   # the web site
    active = 1
    address = 198.18.0.10 eth0:1
    port = 80
    send = "GET / HTTP/1.0\\r\\n\\r\\n"
    expect = "HTTP"
    scheduler = wlc
    # first real server
    server one {
        address = 198.18.1.1
        active = 1
        weight = 1
    }
}
`;

/** The form a panel posts for a block: every key's field as the page shows it. */
function formOf(items: Parameters<typeof findKey>[0], scope: 'virtual' | 'server', keys: readonly string[]): Record<string, string> {
  const table = keysOf(scope);
  return Object.fromEntries(keys.map((k) => [k, fieldText(table[k], findKey(items, k))]));
}

describe('form fields <-> lvs.cf', () => {
  it('posting a form back unchanged gives the file back byte for byte', () => {
    const cfg = parseLvsCf(FILE, 'lvs.cf');
    const vs = findVirtual(cfg, 'web')!;
    const rs = findServer(vs, 'one')!;
    expect(applyFields(vs.items, 'virtual', VIRTUAL_PANEL_KEYS, formOf(vs.items, 'virtual', VIRTUAL_PANEL_KEYS))).toEqual({});
    expect(applyFields(vs.items, 'virtual', SCRIPT_KEYS, formOf(vs.items, 'virtual', SCRIPT_KEYS))).toEqual({});
    expect(applyFields(rs.items, 'server', SERVER_PANEL_KEYS, formOf(rs.items, 'server', SERVER_PANEL_KEYS))).toEqual({});
    expect(writeLvsCf(cfg)).toBe(FILE);
  });

  it('shows send with its escapes and reads them back', () => {
    const vs = findVirtual(parseLvsCf(FILE, 'lvs.cf'), 'web')!;
    expect(fieldText(keysOf('virtual').send, findKey(vs.items, 'send'))).toBe('GET / HTTP/1.0\\r\\n\\r\\n');
    expect(findKey(vs.items, 'send')!.value).toBe('GET / HTTP/1.0\r\n\r\n');
  });

  it('changes one key in place, adds and removes others, keeps comments and order', () => {
    const cfg = parseLvsCf(FILE, 'lvs.cf');
    const vs = findVirtual(cfg, 'web')!;
    const rs = findServer(vs, 'one')!;
    const form = formOf(rs.items, 'server', SERVER_PANEL_KEYS);
    expect(applyFields(rs.items, 'server', SERVER_PANEL_KEYS, { ...form, weight: '5', port: '8080' })).toEqual({});
    expect(applyFields(vs.items, 'virtual', SCRIPT_KEYS, { ...formOf(vs.items, 'virtual', SCRIPT_KEYS), expect: '', use_regex: '1' })).toEqual({});
    expect(bumpSerial(cfg)).toBe(8);
    expect(writeLvsCf(cfg)).toBe(FILE
      .replace('serial_no = 7', 'serial_no = 8')
      .replace('    expect = "HTTP"\n', '    use_regex = 1\n')
      .replace('        active = 1\n        weight = 1', '        active = 1\n        port = 8080\n        weight = 5'));
  });

  it('adds a named block, renames and toggles one', () => {
    const cfg = parseLvsCf(FILE, 'lvs.cf');
    const vs = findVirtual(cfg, 'web')!;
    const errs: FieldErrors = {};
    const two = nameBlock(vs.items, 'server', null, 'two', errs)!;
    expect(applyFields(two.items, 'server', SERVER_PANEL_KEYS, { address: '198.18.1.2', active: '1', weight: '2' })).toEqual({});
    expect(toggleActive(findServer(vs, 'one')!.items, 'server')).toBe(false);
    nameBlock(cfg.items, 'virtual', vs, 'www', errs);
    expect(errs).toEqual({});
    const text = writeLvsCf(cfg);
    expect(text).toContain('virtual www { # the web site\n');
    expect(text).toContain('    # first real server\n    server one {\n        address = 198.18.1.1\n        active = 0\n');
    expect(text).toContain('\n    server two {\n        address = 198.18.1.2\n        active = 1\n        weight = 2\n    }\n}\n');
    expect(validate(cfg, { scope: 'global' }).errors).toEqual({});
  });

  it('refuses a duplicate or unsafe name under the name field', () => {
    const cfg = parseLvsCf(FILE, 'lvs.cf');
    const vs = findVirtual(cfg, 'web')!;
    const errs: FieldErrors = {};
    expect(nameBlock(vs.items, 'server', null, 'one', errs)).toBe(null);
    expect(nameBlock(vs.items, 'server', null, 'a b', errs)).toBe(null);
    expect(errs.name).toEqual([
      'there is already a server named one',
      'a name is 1 to 64 characters without blanks or any of { } # " \' \\ = [ ]',
    ]);
  });
});

describe('validation messages per field', () => {
  it('a value the parser refuses is reported on its field and changes nothing', () => {
    const cfg = parseLvsCf(FILE, 'lvs.cf');
    const rs = findServer(findVirtual(cfg, 'web')!, 'one')!;
    const errs = applyFields(rs.items, 'server', SERVER_PANEL_KEYS, { address: '198.18.1.300', active: '2', weight: '70000' });
    expect(errs).toEqual({
      address: ['BADHOSTNAME: address "198.18.1.300" is not an IPv4 address (host names are not resolved)'],
      active: ['BOOLEXPECTED: active expects 0 or 1, got 2'],
      weight: ['RANGE: weight 70000 is outside 0..65535'],
    });
  });

  it('a rule of the compiler (as tsvs check) is reported on the key\'s field, or on the form', () => {
    const cfg = parseLvsCf(FILE.replace('network = nat', 'network = direct'), 'lvs.cf');
    const vs = findVirtual(cfg, 'web')!;
    const one = findServer(vs, 'one')!;
    expect(applyFields(one.items, 'server', ['port'], { port: '8080' })).toEqual({});
    const remap = validate(cfg, { scope: 'server', virtual: 'web', server: 'one' });
    expect(Object.keys(remap.errors)).toEqual(['port']);
    expect(remap.errors.port[0]).toMatch(/^PORT_REMAP_NEEDS_NAT: /);

    const cfg2 = parseLvsCf(FILE, 'lvs.cf');
    const two = nameBlock(findVirtual(cfg2, 'web')!.items, 'server', null, 'two', {})!;
    expect(applyFields(two.items, 'server', SERVER_PANEL_KEYS, { address: '198.18.1.1', active: '1' })).toEqual({});
    const dup = validate(cfg2, { scope: 'server', virtual: 'web', server: 'two' });
    expect(dup.errors).toEqual({ '': ['DUPLICATE: real server 198.18.1.1:80 is already in virtual web as server one (line 17)'] });
  });
});
