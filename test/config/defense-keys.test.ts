// The flood defence keys of lvs.cf (drop_entry, drop_packet, secure_tcp, amemthresh,
// am_droprate, syn_proxy): compiled into the table's switches, checked with their
// lines, and written back by lvsCfFromTable.
import { describe, expect, it } from 'vitest';
import { compileLvsCf, lvsCfFromTable, parseLvsCf, writeLvsCf } from '../../src/config/index.js';
import { codes, errorsOf } from './helpers.js';

const compile = (text: string) => compileLvsCf(parseLvsCf(text, 'lvs.cf'));
const SET = 'serial_no = 1\ndrop_entry = 1\ndrop_packet = 3\nsecure_tcp = 2\namemthresh = 5000\nam_droprate = 7\nsyn_proxy = 3\n';

describe('lvs.cf flood defence keys', () => {
  it('default to off, as the sysctls, and amemthresh 1/16 of the table (0)', () => {
    const sw = compile('serial_no = 1\n').table.switches;
    expect([sw.dropEntry, sw.dropPacket, sw.secureTcp, sw.synProxy, sw.amemthresh, sw.amDroprate]).toEqual([0, 0, 0, 0, 0, 10]);
  });

  it('take the values set, and are acted on (not reported)', () => {
    const { table, notActedOn } = compile(SET);
    const sw = table.switches;
    expect([sw.dropEntry, sw.dropPacket, sw.secureTcp, sw.synProxy, sw.amemthresh, sw.amDroprate]).toEqual([1, 3, 2, 3, 5000, 7]);
    // syn_proxy acts (engine/syn-proxy.ts): no note for it.
    expect(notActedOn.map((n) => `${n.line} ${n.key}`)).toEqual(['1 serial_no']);
  });

  it('are checked with their lines', () => {
    expect(codes(errorsOf(() => compile('serial_no = 1\ndrop_entry = 4\nsyn_proxy = -1\nam_droprate = 0\n')))).toEqual(['2 RANGE', '3 RANGE', '4 RANGE']);
  });

  it('are written back when not the default', () => {
    const cfg = parseLvsCf(SET, 'lvs.cf');
    const text = writeLvsCf(lvsCfFromTable(compileLvsCf(cfg).table, cfg));
    for (const line of ['drop_entry = 1', 'drop_packet = 3', 'secure_tcp = 2', 'amemthresh = 5000', 'am_droprate = 7', 'syn_proxy = 3']) expect(text).toContain(`\n${line}\n`);
    const plain = parseLvsCf('serial_no = 1\n', 'lvs.cf');
    expect(writeLvsCf(lvsCfFromTable(compileLvsCf(plain).table))).not.toMatch(/drop_entry|syn_proxy|amemthresh/);
  });
});
