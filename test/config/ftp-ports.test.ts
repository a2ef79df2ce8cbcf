// lvs.cf's ftp_ports (ip_vs_ftp's `ports`): compiled into the table's switches,
// checked with its line, written back when not the default.
import { describe, expect, it } from 'vitest';
import { compileLvsCf, lvsCfFromTable, parseLvsCf, writeLvsCf } from '../../src/config/index.js';
import { codes, errorsOf } from './helpers.js';

const compile = (text: string) => compileLvsCf(parseLvsCf(text, 'lvs.cf'));

describe('lvs.cf ftp_ports', () => {
  it('defaults to 21, as ip_vs_ftp loads, and is acted on', () => {
    // Absent from the table: the engine's default, 21.
    expect(compile('serial_no = 1\n').table.switches.ftpPorts).toBeUndefined();
    const { table, notActedOn } = compile('serial_no = 1\nftp_ports = 21,2121\n');
    expect(table.switches.ftpPorts).toEqual([21, 2121]);
    expect(notActedOn.map((n) => n.key)).not.toContain('ftp_ports');
  });

  it('takes 0 for none, and service names', () => {
    expect(compile('serial_no = 1\nftp_ports = 0\n').table.switches.ftpPorts).toEqual([]);
    expect(compile('serial_no = 1\nftp_ports = ftp,2121\n').table.switches.ftpPorts).toEqual([21, 2121]);
  });

  it('is checked with its line: words, out of range, twice, more than 8 (IP_VS_APP_MAX_PORTS)', () => {
    for (const [value, code] of [['21,x', 'BADARGUMENT'], ['70000', 'RANGE'], ['21,21', 'BADARGUMENT'], ['1,2,3,4,5,6,7,8,9', 'RANGE'], ['', 'MISSINGARGS']]) {
      expect(codes(errorsOf(() => compile(`serial_no = 1\n\nftp_ports = ${value}\n`)))).toEqual([`3 ${code}`]);
    }
  });

  it('is written back when not the default', () => {
    const cfg = parseLvsCf('serial_no = 1\nftp_ports = 21,2121\n', 'lvs.cf');
    expect(writeLvsCf(lvsCfFromTable(compileLvsCf(cfg).table, cfg))).toContain('\nftp_ports = 21,2121\n');
    const none = parseLvsCf('serial_no = 1\nftp_ports = 0\n', 'lvs.cf');
    expect(writeLvsCf(lvsCfFromTable(compileLvsCf(none).table, none))).toContain('\nftp_ports = 0\n');
    const plain = parseLvsCf('serial_no = 1\n', 'lvs.cf');
    expect(writeLvsCf(lvsCfFromTable(compileLvsCf(plain).table))).not.toContain('ftp_ports');
  });
});
