// `fwmark_rule = PROTOCOL DESTINATION PORTS MARK`: every form, every error with
// its file:line and code, and the write side (format, grouping back into lines).
import { describe, expect, it } from 'vitest';
import { expandMarkSpec, findKeys, formatMarkRule, globalSettings, groupMarkRules, parseLvsCf, writeLvsCf, type MarkSpec } from '../../src/config/index.js';
import { parseIPv4 } from '../../src/model/index.js';
import { codes, errorsOf } from './helpers.js';

const ip = (s: string) => parseIPv4(s)!;
const rules = (...lines: string[]) => globalSettings(parseLvsCf(lines.map((l) => `fwmark_rule = ${l}\n`).join(''), 'lvs.cf')).fwmark_rule;
const one = (line: string) => rules(line)[0];
const fails = (line: string) => {
  const e = errorsOf(() => parseLvsCf(`serial_no = 1\nfwmark_rule = ${line}\n`, 'lvs.cf'));
  expect(e.errors).toHaveLength(1);
  return String(e.errors[0]);
};

describe('fwmark_rule: the forms', () => {
  it('a single port to one address (the guide: -p tcp -d VIP/32 --dport 80 -j MARK --set-mark 80)', () => {
    expect(one('tcp 198.18.0.10 80 80')).toEqual({ protocol: 'tcp', address: ip('198.18.0.10'), prefixLen: 32, ports: [[80, 80]], mark: 80 });
  });

  it('a port list, a range, and both mixed', () => {
    expect(one('tcp 198.18.0.10 80,443 80').ports).toEqual([[80, 80], [443, 443]]);
    expect(one('tcp 198.18.0.21 10000:20000 21').ports).toEqual([[10000, 20000]]);
    expect(one('tcp 198.18.0.21 21,10000:20000 21').ports).toEqual([[21, 21], [10000, 20000]]);
    expect(one('udp 198.18.0.53 0:65535 53').ports).toEqual([[0, 65535]]);
  });

  it('any port, any destination, protocol all', () => {
    expect(one('all 198.18.0.10 any 7')).toEqual({ protocol: 'all', address: ip('198.18.0.10'), prefixLen: 32, ports: [[0, 65535]], mark: 7 });
    expect(one('udp any 53 53')).toMatchObject({ address: 0, prefixLen: 0 });
    expect(one('udp 0.0.0.0/0 53 53')).toMatchObject({ address: 0, prefixLen: 0 });
  });

  it('prefixes as a length or a dotted netmask', () => {
    expect(one('tcp 198.18.0.0/24 80 80')).toMatchObject({ address: ip('198.18.0.0'), prefixLen: 24 });
    expect(one('tcp 198.18.0.0/255.255.255.0 80 80')).toMatchObject({ address: ip('198.18.0.0'), prefixLen: 24 });
    expect(one('tcp 198.18.0.0/15 80 80')).toMatchObject({ address: ip('198.18.0.0'), prefixLen: 15 });
    expect(one('tcp 198.18.0.10/32 80 80')).toMatchObject({ address: ip('198.18.0.10'), prefixLen: 32 });
  });

  it('marks in decimal or 0x hex, up to 2^32-1', () => {
    expect(one('tcp 198.18.0.10 80 0x50').mark).toBe(80);
    expect(one('tcp 198.18.0.10 80 4294967295').mark).toBe(0xffffffff);
  });

  it('is repeatable: every line is kept, in file order, with its own line', () => {
    const cfg = parseLvsCf('fwmark_rule = tcp 198.18.0.10 80,443 80\nkeepalive = 2\nfwmark_rule = tcp 198.18.0.21 21 21\n', 'lvs.cf');
    expect(globalSettings(cfg).fwmark_rule.map((r) => r.mark)).toEqual([80, 21]);
    expect(findKeys(cfg.items, 'fwmark_rule').map((k) => k.line)).toEqual([1, 3]);
    expect(globalSettings(parseLvsCf('keepalive = 2\n', 'lvs.cf')).fwmark_rule).toEqual([]);
  });

  it('expands a line into one MarkRule per port item, all with the line as origin', () => {
    expect(expandMarkSpec(one('tcp 198.18.0.10 80,443 80'), 'lvs.cf:3')).toEqual([
      { protocol: 'tcp', address: ip('198.18.0.10'), prefixLen: 32, portLo: 80, portHi: 80, mark: 80, origin: 'lvs.cf:3' },
      { protocol: 'tcp', address: ip('198.18.0.10'), prefixLen: 32, portLo: 443, portHi: 443, mark: 80, origin: 'lvs.cf:3' },
    ]);
  });
});

describe('fwmark_rule: errors, each with file:line and a code', () => {
  it('the number of words', () => {
    expect(fails('tcp 198.18.0.10 80')).toBe('lvs.cf:2: MISSINGARGS: fwmark_rule needs 4 words, as in "fwmark_rule = tcp 198.18.0.10 80,443 80" (protocol, destination, ports, mark)');
    expect(fails('tcp 198.18.0.10 80, 443 80')).toBe('lvs.cf:2: EXTRAARGS: fwmark_rule takes 4 words; unexpected "80" (write a port list without blanks: 80,443)');
  });

  it('the protocol', () => {
    expect(fails('icmp 198.18.0.10 any 1')).toBe('lvs.cf:2: BADARGUMENT: fwmark_rule: protocol "icmp" is not one of tcp, udp, all');
  });

  it('the destination: not an address, a bad prefix, host bits beyond the prefix', () => {
    expect(fails('tcp www.example 80 80')).toBe('lvs.cf:2: BADHOSTNAME: fwmark_rule: destination "www.example" is not an IPv4 address (host names are not resolved)');
    expect(fails('tcp 198.18.0.0/33 80 80')).toMatch(/^lvs\.cf:2: BADNETMASK: fwmark_rule: "33" in 198\.18\.0\.0\/33 is neither/);
    expect(fails('tcp 198.18.0.0/255.0.255.0 80 80')).toMatch(/^lvs\.cf:2: BADNETMASK: /);
    expect(fails('tcp 198.18.0.10/24 80 80')).toBe('lvs.cf:2: BADNETMASK: fwmark_rule: 198.18.0.10/24 has host bits set beyond /24; write 198.18.0.0/24 (or 198.18.0.10 alone for one address)');
  });

  it('the ports', () => {
    expect(fails('tcp 198.18.0.10 http 80')).toBe('lvs.cf:2: BADARGUMENT: fwmark_rule: "http" is not a port (N) or a port range (N:M)');
    expect(fails('tcp 198.18.0.10 80,,443 80')).toBe('lvs.cf:2: BADARGUMENT: fwmark_rule: "" is not a port (N) or a port range (N:M) (an empty list item)');
    expect(fails('tcp 198.18.0.10 80,any 80')).toBe('lvs.cf:2: BADARGUMENT: fwmark_rule: "any" stands alone, not in a list');
    expect(fails('tcp 198.18.0.10 20000:10000 21')).toBe('lvs.cf:2: BADARGUMENT: fwmark_rule: port range 20000:10000 runs backwards; write 10000:20000');
    expect(fails('tcp 198.18.0.10 :1023 21')).toMatch(/^lvs\.cf:2: BADARGUMENT: /);
    expect(fails('tcp 198.18.0.10 65536 80')).toBe('lvs.cf:2: RANGE: fwmark_rule: port 65536 is outside 0..65535');
  });

  it('the mark', () => {
    expect(fails('tcp 198.18.0.10 80 web')).toBe('lvs.cf:2: INTEXPECTED: fwmark_rule: mark "web" is not a whole number (decimal or 0x hex)');
    expect(fails('tcp 198.18.0.10 80 0')).toBe('lvs.cf:2: RANGE: fwmark_rule: mark 0 is outside 1..4294967295 (0 means no mark)');
    expect(fails('tcp 198.18.0.10 80 4294967296')).toMatch(/^lvs\.cf:2: RANGE: /);
  });

  it('every bad line of a file at once', () => {
    const e = errorsOf(() => parseLvsCf('fwmark_rule = tcp 198.18.0.10 80 80\nfwmark_rule = tcp 198.18.0.10 80\nfwmark_rule = sctp any any 1\nfwmark_rules_from = a\nfwmark_rules_from = b\n', 'lvs.cf'));
    expect(codes(e)).toEqual(['2 MISSINGARGS', '3 BADARGUMENT', '5 DUPLICATE']);
  });
});

describe('fwmark_rule: writing', () => {
  it('formats a MarkSpec back into its four words', () => {
    const spec: MarkSpec = { protocol: 'tcp', address: ip('198.18.0.0'), prefixLen: 24, ports: [[21, 21], [10000, 20000]], mark: 21 };
    expect(formatMarkRule(spec)).toEqual(['tcp', '198.18.0.0/24', '21,10000:20000', '21']);
    expect(formatMarkRule({ ...spec, address: 0, prefixLen: 0, ports: [[0, 65535]] })).toEqual(['tcp', 'any', 'any', '21']);
    expect(formatMarkRule({ ...spec, address: ip('198.18.0.10'), prefixLen: 32, mark: 0x50 })).toEqual(['tcp', '198.18.0.10', '21,10000:20000', '80']);
  });

  it('groups rules back into lines by origin', () => {
    const a = one('tcp 198.18.0.10 80,443 80');
    const b = one('tcp 198.18.0.10 8080 80');
    const grouped = groupMarkRules([...expandMarkSpec(a, 'x:1'), ...expandMarkSpec(b, 'x:2')]);
    expect(grouped).toEqual([a, b]);
  });

  it('writes the lines back as read', () => {
    const text = '# marks\nfwmark_rule = tcp 198.18.0.10 80,443 0x50 # http+https\nfwmark_rule = udp 198.18.0.0/24 any 53\n';
    expect(writeLvsCf(parseLvsCf(text, 'lvs.cf'))).toBe(text);
  });
});
