// The probes' pure parts, byte by byte: the DNS query and reply (RFC 1035), the
// ICMP echo and the errors that quote it (RFC 792), nanny's expect, UDP_CHECK's
// reply pattern, HTTP_GET's Host header and body tests.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeReply, encodeQuery } from '../../src/health/probes/dns-wire.js';
import { expectation } from '../../src/health/probes/expect.js';
import { hostHeader, judgeBody } from '../../src/health/probes/http.js';
import { echoRequest, readReply, type Echo } from '../../src/health/probes/icmp.js';
import { icmpError } from '../../src/health/probes/raw-icmp.js';
import { replyMismatch } from '../../src/health/probes/udp.js';
import { checksum } from '../../src/packet/checksum.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('DNS query (RFC 1035 4.1)', () => {
  it('encodes header, labels, type and class IN, with recursion desired', () => {
    expect(encodeQuery(0x1234, 'ok.test', 'A')).toEqual(hex('1234 0100 0001 0000 0000 0000  02 6f6b 04 74657374 00  0001 0001'));
    expect(encodeQuery(0xbeef, 'ok.test.', 'AAAA')).toEqual(hex('beef 0100 0001 0000 0000 0000  02 6f6b 04 74657374 00  001c 0001'));
  });

  it('encodes the root "." as the empty name (keepalived\'s default name, with SOA)', () => {
    expect(encodeQuery(1, '.', 'SOA')).toEqual(hex('0001 0100 0001 0000 0000 0000  00  0006 0001'));
  });

  it('refuses names DNS cannot carry', () => {
    expect(() => encodeQuery(1, 'a..b', 'A')).toThrow('bad DNS name "a..b": labels are 1 to 63 bytes');
    expect(() => encodeQuery(1, `${'x'.repeat(64)}.test`, 'A')).toThrow('labels are 1 to 63 bytes');
    expect(() => encodeQuery(1, Array(64).fill('abc').join('.'), 'A')).toThrow('over 255 bytes');
  });
});

describe('DNS reply', () => {
  // ok.test A? -> a CNAME then an A record, names compressed to the question (0xc00c).
  const reply = hex(
    '1234 8180 0001 0002 0000 0000  02 6f6b 04 74657374 00 0001 0001' +
      ' c00c 0005 0001 0000003c 0002 c00c' +
      ' c00c 0001 0001 0000003c 0004 c612000a',
  );

  it('reads the ID, QR, RCODE and the answer types, through compressed names', () => {
    expect(decodeReply(reply)).toEqual({ id: 0x1234, response: true, rcode: 0, answers: 2, answerTypes: [5, 1] });
  });

  it('reads the RCODE of an error, and what it can of a truncated message', () => {
    const nx = Buffer.from(reply.subarray(0, 29));
    nx.writeUInt16BE(0x8183, 2);
    nx.writeUInt16BE(0, 6);
    expect(decodeReply(nx)).toEqual({ id: 0x1234, response: true, rcode: 3, answers: 0, answerTypes: [] });
    expect(decodeReply(reply.subarray(0, 45))).toEqual({ id: 0x1234, response: true, rcode: 0, answers: 2, answerTypes: [5] });
    expect(decodeReply(reply.subarray(0, 11))).toBeNull();
  });
});

describe('ICMP echo (RFC 792)', () => {
  const echo: Echo = { address: '198.18.0.2', id: 0x1234, seq: 1, payload: Buffer.from('abcd') };
  // 0x0800 + 0x1234 + 0x0001 + 0x6162 + 0x6364 = 0xdefb; its complement is 0x2104.
  const request = hex('0800 2104 1234 0001 61626364');
  const ip = (src: string, dst: string, proto: number, body: Uint8Array) => {
    const h = Buffer.alloc(20);
    h[0] = 0x45;
    h.writeUInt16BE(20 + body.length, 2);
    h[8] = 64;
    h[9] = proto;
    h.set(src.split('.').map(Number), 12);
    h.set(dst.split('.').map(Number), 16);
    return Buffer.concat([h, body]);
  };
  const withChecksum = (icmp: Buffer) => {
    icmp.writeUInt16BE(0, 2);
    icmp.writeUInt16BE(checksum(icmp, 0, icmp.length), 2);
    return icmp;
  };
  const replyOf = (o: Partial<{ id: number; payload: string }> = {}) =>
    withChecksum(Buffer.concat([hex('0000 0000'), Buffer.from([0x12, o.id ?? 0x34, 0, 1]), Buffer.from(o.payload ?? 'abcd')]));

  it('builds the request with its checksum', () => {
    expect(echoRequest(echo)).toEqual(request);
  });

  it('accepts our reply from the server with a right checksum, and only that', () => {
    expect(readReply(ip('198.18.0.2', '198.18.0.1', 1, replyOf()), echo)).toBe('reply');
    const corrupted = replyOf();
    corrupted[3] ^= 0x01; // the checksum field itself
    expect(readReply(ip('198.18.0.2', '198.18.0.1', 1, corrupted), echo)).toBe('bad checksum');
    expect(readReply(ip('198.18.0.2', '198.18.0.1', 1, replyOf({ id: 0x35 })), echo)).toBeNull();
    expect(readReply(ip('198.18.0.2', '198.18.0.1', 1, replyOf({ payload: 'abce' })), echo)).toBeNull();
    expect(readReply(ip('198.18.0.9', '198.18.0.1', 1, replyOf()), echo)).toBeNull();
    expect(readReply(ip('198.18.0.1', '198.18.0.2', 1, request), echo)).toBeNull(); // our own request, seen on the way out
  });

  it('fails on an error that quotes our request, and names it', () => {
    const quoted = ip('198.18.0.1', '198.18.0.2', 1, request).subarray(0, 28);
    const unreachable = (code: number) => ip('198.18.0.254', '198.18.0.1', 1, withChecksum(Buffer.concat([Buffer.from([3, code, 0, 0, 0, 0, 0, 0]), quoted])));
    expect(readReply(unreachable(1), echo)).toBe('host unreachable (from 198.18.0.254)');
    expect(readReply(unreachable(13), echo)).toBe('communication administratively prohibited (from 198.18.0.254)');
    const ttl = ip('198.18.0.254', '198.18.0.1', 1, withChecksum(Buffer.concat([hex('0b00 0000 0000 0000'), quoted])));
    expect(readReply(ttl, echo)).toBe('ttl exceeded (from 198.18.0.254)');
    expect(icmpError(unreachable(3))).toMatchObject({ type: 3, code: 3, from: '198.18.0.254', innerL4: 20 });
  });
});

describe('nanny expect', () => {
  const e = (expect: string, useRegex = false) => expectation(expect, useRegex);
  const b = (s: string) => Buffer.from(s, 'latin1');

  it('plain: the reply must open with expect (strncmp), read until strlen(expect) bytes came', () => {
    expect(e('HTTP/1.1 200').judge(b('HTTP/1.'), false)).toEqual({ verdict: 'more' });
    expect(e('HTTP/1.1 200').judge(b('HTTP/1.1 200 OK\r\n'), false)).toEqual({ verdict: 'match' });
    expect(e('HTTP/1.1 200').judge(b('HTTX'), false)).toEqual({ verdict: 'mismatch', detail: 'expect mismatch: got "HTTX"' });
    expect(e('HTTP/1.1 200').judge(b('HTTP/1.'), true)).toEqual({ verdict: 'mismatch', detail: 'expect mismatch: got "HTTP/1."' });
    expect(e('OK').judge(b(''), true)).toEqual({ verdict: 'mismatch', detail: 'expect mismatch: no reply' });
  });

  it('"*": any first byte', () => {
    expect(e('*').judge(b('\0'), false)).toEqual({ verdict: 'match' });
    expect(e('*').judge(b(''), false)).toEqual({ verdict: 'more' });
  });

  it('regex: tested on what came, up to 4 KiB, bytes shown escaped', () => {
    expect(e('^220 .*ready', true).judge(b('220 mail ready'), false)).toEqual({ verdict: 'match' });
    expect(e('ready', true).judge(b('220 '), false)).toEqual({ verdict: 'more' });
    expect(e('ready', true).judge(b('220 busy\r\n\x01'), true)).toEqual({ verdict: 'mismatch', detail: 'expect regex did not match: got "220 busy\\r\\n\\x01"' });
    expect(e('ready', true).judge(Buffer.alloc(4096, 'x'), false)).toMatchObject({ verdict: 'mismatch' });
  });
});

describe('UDP_CHECK reply (check_udp_reply)', () => {
  const bounds = { minReply: 0, maxReply: 255 };
  it('compares the lesser of the two lengths, a null byte matching anything', () => {
    expect(replyMismatch(bounds, [0xde, null, 0xbe], Buffer.from([0xde, 0x00, 0xbe, 0xef]))).toBeNull();
    expect(replyMismatch(bounds, [0xde, null, 0xbe], Buffer.from([0xde]))).toBeNull();
    expect(replyMismatch(bounds, [0xde, null, 0xbe], Buffer.from([0xdf]))).toBe('reply mismatch at byte 0: got 0xdf, want 0xde');
  });

  it('holds the length bounds only when the pattern has bytes', () => {
    expect(replyMismatch({ minReply: 2, maxReply: 3 }, [1], Buffer.from([1]))).toBe('reply length 1 outside 2..3');
    expect(replyMismatch({ minReply: 2, maxReply: 3 }, [], Buffer.from([1]))).toBeNull();
  });
});

describe('HTTP_GET', () => {
  it('sends the address as Host, with the port unless it is the scheme\'s default (RFC 9110 7.2)', () => {
    expect(hostHeader('198.18.0.2', 80, 'http')).toBe('198.18.0.2');
    expect(hostHeader('198.18.0.2', 443, 'http')).toBe('198.18.0.2:443');
    expect(hostHeader('198.18.0.2', 443, 'https')).toBe('198.18.0.2');
    expect(hostHeader('2001:db8::2', 8080, 'http')).toBe('[2001:db8::2]:8080');
  });

  it('checks the digest, then the regex', () => {
    const body = Buffer.from('hello\n');
    const md5 = createHash('md5').update(body).digest('hex');
    const spec = { digest: md5.toUpperCase(), regex: 'hel', regexNoMatch: false };
    expect(judgeBody(spec, /hel/, body)).toBeNull();
    expect(judgeBody({ ...spec, digest: '0'.repeat(32) }, /hel/, body)).toBe(`digest mismatch: got ${md5}`);
    expect(judgeBody({ ...spec, regexNoMatch: true }, /hel/, body)).toBe('body matches regex (regex_no_match)');
  });
});
