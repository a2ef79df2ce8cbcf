import { describe, expect, it } from 'vitest';
import { decodeEscapes, lexLine, quoteToken } from '../../src/config/tokens.js';

const texts = (line: string) => {
  const r = lexLine(line);
  if ('error' in r) throw new Error(r.error);
  return r.tokens.map((t) => t.text);
};

describe('lexLine', () => {
  it('splits on blanks and tabs', () => {
    expect(texts('  address =\t198.18.0.10   eth0:1 ')).toEqual(['address', '=', '198.18.0.10', 'eth0:1']);
  });

  it("decodes the escapes of nanny's convert_str: \\n \\r \\t \\\\ \\' \\\"", () => {
    expect(texts(String.raw`send = "GET / HTTP/1.0\r\n\r\n"`)).toEqual(['send', '=', 'GET / HTTP/1.0\r\n\r\n']);
    expect(texts(String.raw`expect = "a \\ b \' c \" d"`)).toEqual(['expect', '=', `a \\ b ' c " d`]);
    expect(texts(String.raw`send = "PING\tx\r\n"`)).toEqual(['send', '=', 'PING\tx\r\n']);
  });

  it('keeps an unknown escape as written (a regex keeps its \\d and \\.)', () => {
    expect(texts(String.raw`send = "C:\data"`)).toEqual(['send', '=', 'C:\\data']);
    expect(texts(String.raw`regex = "^OK \d+\.$"`)).toEqual(['regex', '=', '^OK \\d+\\.$']);
  });

  it('decodeEscapes applies the same escapes to an unquoted word', () => {
    expect(decodeEscapes(String.raw`PING\r\n`)).toBe('PING\r\n');
    expect(decodeEscapes(String.raw`a\\n\q`)).toBe('a\\n\\q');
  });

  it('accepts single quotes like Piranha', () => {
    expect(texts(`expect = 'it is "ok"'`)).toEqual(['expect', '=', 'it is "ok"']);
  });

  it('treats # inside quotes as text and outside as a comment', () => {
    const r = lexLine('expect = "#1 # not a comment" # a comment');
    expect(r).toEqual({ tokens: [{ text: 'expect', quoted: false }, { text: '=', quoted: false }, { text: '#1 # not a comment', quoted: true }], comment: '# a comment' });
    expect(lexLine('port = 80#x')).toEqual({ tokens: [{ text: 'port', quoted: false }, { text: '=', quoted: false }, { text: '80', quoted: false }], comment: '#x' });
  });

  it('reports an unterminated quote and a quote glued to a word', () => {
    expect(lexLine('send = "abc')).toHaveProperty('error');
    expect(lexLine('send = "abc\\"')).toHaveProperty('error');
    expect(lexLine('send = "abc"def')).toHaveProperty('error');
  });

  it('gives an empty quoted value', () => {
    expect(texts('send = ""')).toEqual(['send', '=', '']);
  });
});

describe('quoteToken', () => {
  it('leaves plain words bare and quotes what would not read back', () => {
    expect(quoteToken('eth0:1')).toBe('eth0:1');
    expect(quoteToken('a b')).toBe('"a b"');
    expect(quoteToken('')).toBe('""');
    expect(quoteToken('x#y')).toBe('"x#y"');
    expect(quoteToken('GET /\r\n\\ "q"')).toBe(String.raw`"GET /\r\n\\ \"q\""`);
    expect(quoteToken('ok', true)).toBe('"ok"');
  });

  it('round-trips through lexLine', () => {
    for (const v of ['a b', '', 'x#y', 'GET / HTTP/1.0\r\n\r\n', `it's "quoted" \\ here`, '{', '=', 'C:\\temp', 'tab\there', '\\t is not a tab']) {
      expect(texts(`send = ${quoteToken(v)}`)[2]).toBe(v);
    }
  });
});
