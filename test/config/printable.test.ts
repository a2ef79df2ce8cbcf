// Bytes of a binary "config" never reach the terminal raw: messages escape
// non-printable characters; a UTF-8 byte-order mark is not part of the first key
// (issue 15 item 19).
import { describe, expect, it } from 'vitest';
import { checkText } from '../../src/cli/check.js';
import { printable } from '../../src/config/printable.js';
import { parseLvsCf } from '../../src/config/index.js';

describe('printable', () => {
  it('escapes C0, DEL, C1 and bidi controls, keeps other text', () => {
    expect(printable('a\x1b[31mb\x00c\x7f\x9b\u202e é ü 日本')).toBe('a\\x1b[31mb\\x00c\\x7f\\x9b\\u202e é ü 日本');
    expect(printable('one\n\ttwo\x1b', true)).toBe('one\n\ttwo\\x1b');
  });
});

describe('lvs.cf with odd bytes', () => {
  it('escapes terminal control bytes in every error', () => {
    const res = checkText('serial_no = 1\n\x1b]0;owned\x07key\x1b[2J = 1\n', 'bin.cf');
    expect(res.ok).toBe(false);
    expect(res.output).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f]/);
    expect(res.output).toContain('\\x1b]0;owned\\x07key\\x1b[2J');
  });

  it('accepts a UTF-8 byte-order mark at the start', () => {
    const cfg = parseLvsCf('\uFEFFserial_no = 7\nprimary = 198.18.0.1\nservice = lvs\n', 'bom.cf');
    expect(cfg.items[0]).toMatchObject({ key: 'serial_no', line: 1 });
  });
});
