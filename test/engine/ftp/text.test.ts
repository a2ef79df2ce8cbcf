// The FTP text the helper reads, byte for byte as ip_vs_ftp reads it.
import { describe, expect, it } from 'vitest';
import {
  FTP_227, FTP_229, FTP_EPRT, FTP_EPSV, FTP_NONE, FTP_PASV, FTP_PORT, FtpMatch, ftpCommand, ftpReply, hostPortLength, writeHostPort,
} from '../../../src/engine/ftp/text.js';

const bytes = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));
const cmd = (s: string, m = new FtpMatch()): number => ftpCommand(bytes(s), 0, s.length, m);
const reply = (s: string, expect: number, m = new FtpMatch()): number => ftpReply(bytes(s), 0, s.length, expect, m);

describe('FTP commands (client -> server)', () => {
  it('PASV and EPSV anywhere in the segment, in any case', () => {
    expect(cmd('PASV\r\n')).toBe(FTP_PASV);
    expect(cmd('pasv\r\n')).toBe(FTP_PASV);
    expect(cmd('TYPE I\r\nPASV\r\n')).toBe(FTP_PASV);
    expect(cmd('EPSV\r\n')).toBe(FTP_EPSV);
    expect(cmd('EPSV 1\r\n')).toBe(FTP_EPSV);
    // EPSV 2 asks for IPv6; EPSV ALL changes nothing on the wire.
    expect(cmd('EPSV 2\r\n')).toBe(FTP_NONE);
    expect(cmd('PASV')).toBe(FTP_NONE);
  });

  it('PORT h1,h2,h3,h4,p1,p2: the address, the port and where the text is', () => {
    const m = new FtpMatch();
    expect(cmd('PORT 198,18,0,100,156,64\r\n', m)).toBe(FTP_PORT);
    expect([m.addr, m.port, m.start, m.end]).toEqual([0xc6120064, 156 * 256 + 64, 5, 24]);
  });

  it('EPRT |1|addr|port| (RFC 2428), IPv4 only, any delimiter', () => {
    const m = new FtpMatch();
    expect(cmd('EPRT |1|198.18.0.100|40002|\r\n', m)).toBe(FTP_EPRT);
    expect([m.addr, m.port]).toEqual([0xc6120064, 40002]);
    expect(cmd('EPRT !1!10.0.0.1!21!\r\n', m)).toBe(FTP_EPRT);
    expect([m.addr, m.port]).toEqual([0x0a000001, 21]);
    expect(cmd('EPRT |2|::1|40002|\r\n')).toBe(FTP_NONE);
  });

  it('refuses numbers over 255, too few numbers, and text that the segment cuts off (as IPVS: not handled)', () => {
    expect(cmd('PORT 198,18,0,256,1,1\r\n')).toBe(FTP_NONE);
    expect(cmd('PORT 198,18,0,1,1\r\n')).toBe(FTP_NONE);
    expect(cmd('PORT 198,18,0,100,156,6')).toBe(FTP_NONE);
    expect(cmd('PORT 198,18,0,100,')).toBe(FTP_NONE);
    expect(cmd('EPRT |1|198.18.0.100|400')).toBe(FTP_NONE);
    expect(cmd('EPRT |1|198.18.0.100|70000|\r\n')).toBe(FTP_NONE);
    // Only at the start of the segment.
    expect(cmd('NOOP\r\nPORT 198,18,0,100,156,64\r\n')).toBe(FTP_NONE);
  });
});

describe('FTP replies (server -> client)', () => {
  it('227 after PASV only; the parenthesis is optional', () => {
    const m = new FtpMatch();
    const text = '227 Entering Passive Mode (198,19,0,7,195,80).\r\n';
    expect(reply(text, FTP_PASV, m)).toBe(FTP_227);
    expect([m.addr, m.port]).toEqual([0xc6130007, 195 * 256 + 80]);
    expect(text.slice(m.start, m.end)).toBe('198,19,0,7,195,80');
    expect(reply(text, FTP_EPSV)).toBe(FTP_NONE);
    expect(reply(text, 0)).toBe(FTP_NONE);
    expect(reply('227 =198,19,0,7,195,80\r\n', FTP_PASV, m)).toBe(FTP_227);
    expect(reply('227 Entering Passive Mode (198,19,0,7,195', FTP_PASV)).toBe(FTP_NONE);
  });

  it('229 after EPSV: the port between the delimiters', () => {
    const m = new FtpMatch();
    const text = '229 Entering Extended Passive Mode (|||50001|)\r\n';
    expect(reply(text, FTP_EPSV, m)).toBe(FTP_229);
    expect(m.port).toBe(50001);
    expect(reply(text, FTP_PASV)).toBe(FTP_NONE);
    expect(reply('229 Entering Extended Passive Mode (|||5000', FTP_EPSV)).toBe(FTP_NONE);
  });
});

describe('writeHostPort', () => {
  it('writes the decimal text and its length matches hostPortLength', () => {
    for (const [addr, port, text] of [[0xc612000a, 50000, '198,18,0,10,195,80'], [0x0a000001, 21, '10,0,0,1,0,21'], [0xffffffff, 65535, '255,255,255,255,255,255']] as const) {
      const buf = new Uint8Array(32);
      const end = writeHostPort(buf, 3, addr, port);
      expect(Buffer.from(buf.subarray(3, end)).toString('latin1')).toBe(text);
      expect(hostPortLength(addr, port)).toBe(text.length);
    }
  });
});
