// importIptablesSave: the committed real iptables-save file (the Red Hat guide's
// 80+443 and FTP rules plus rules tsvs cannot honour, and *nat / *filter tables),
// then one small case per rule shape.
import { describe, expect, it } from 'vitest';
import { importIptablesSave } from '../../src/config/index.js';
import { parseIPv4 } from '../../src/model/index.js';
import { fixture } from './helpers.js';

const ip = (s: string) => parseIPv4(s)!;
const FILE = 'iptables.save';
/** One mangle table holding these rule lines (the first rule is line 3). */
const mangle = (...rules: string[]) => `*mangle\n:PREROUTING ACCEPT [0:0]\n${rules.join('\n')}\nCOMMIT\n`;
const run = (text: string) => {
  const r = importIptablesSave(text, FILE);
  return { ...r, problems: r.problems.map(String), notes: r.notes.map((n) => `${n.line} ${n.key}: ${n.why}`) };
};
const rule = (address: string, prefixLen: number, portLo: number, portHi: number, mark: number, line: number, protocol = 'tcp') => ({
  protocol, address: ip(address), prefixLen, portLo, portHi, mark, origin: `${FILE}:${line}`,
});

describe('importIptablesSave: the real iptables-save file', () => {
  const r = run(fixture('iptables-mangle.save'));

  it('imports the guide rules: 80+443 -> mark 80, FTP 21 + 10000:20000 -> mark 21', () => {
    expect(r.rules).toEqual([
      rule('198.18.0.10', 32, 80, 80, 80, 8),
      rule('198.18.0.10', 32, 443, 443, 80, 9),
      rule('198.18.0.21', 32, 21, 21, 21, 10),
      rule('198.18.0.21', 32, 10000, 20000, 21, 11),
    ]);
  });

  it('reports each rule it cannot honour with its line', () => {
    expect(r.problems).toEqual([
      'iptables.save:12: UNSUPPORTED: cannot honour -s 10.0.0.0/8 (tsvs classifies by destination only)',
      'iptables.save:13: UNSUPPORTED: cannot honour -m state --state NEW (tsvs matches protocol, destination address and destination port only)',
      'iptables.save:14: UNSUPPORTED: cannot honour ! -d 198.18.0.0/15 (negations are not supported)',
      'iptables.save:15: UNSUPPORTED: cannot honour --set-xmark 0x1/0xff (a partial mask keeps bits of the mark an earlier rule set; tsvs rules set whole marks)',
    ]);
  });

  it('ignores the other tables and chains with one note; a mark match elsewhere is noted by line', () => {
    expect(r.notes).toEqual([
      '16 iptables-save: ignored: mangle chain FORWARD, table nat, table filter (tsvs reads only the PREROUTING chain of the mangle table)',
      "34 filter FORWARD: matches or saves marks; tsvs does not run the filter table's FORWARD chain; ignored",
    ]);
  });
});

describe('importIptablesSave: rule shapes', () => {
  it('the Red Hat guide as typed (-p before -d, --set-mark in decimal, no -m tcp)', () => {
    const r = run(mangle('-A PREROUTING -p tcp -d 198.18.0.10/32 --dport 80 -j MARK --set-mark 80'));
    expect(r).toEqual({ rules: [rule('198.18.0.10', 32, 80, 80, 80, 3)], problems: [], notes: [] });
  });

  it('multiport lists and ranges, prefixes, udp, hex marks, counters of iptables-save -c', () => {
    const r = run(mangle(
      '[12:3456] -A PREROUTING -d 198.18.0.0/24 -p udp -m multiport --dports 53,5353,6000:6010 -j MARK --set-xmark 0x35/0xffffffff',
      '-A PREROUTING -d 198.18.0.10 -p 6 -m comment --comment "web \\"site\\"" -j MARK --set-mark 0x50',
    ));
    expect(r.problems).toEqual([]);
    expect(r.rules).toEqual([
      rule('198.18.0.0', 24, 53, 53, 53, 3, 'udp'), rule('198.18.0.0', 24, 5353, 5353, 53, 3, 'udp'), rule('198.18.0.0', 24, 6000, 6010, 53, 3, 'udp'),
      rule('198.18.0.10', 32, 0, 65535, 80, 4),
    ]);
  });

  it('no -p and no -d: every protocol to every address; open port ranges', () => {
    const r = run(mangle('-A PREROUTING -j MARK --set-mark 9', '-A PREROUTING -p tcp -m tcp --dport 1024: -j MARK --set-mark 10'));
    expect(r.rules).toEqual([rule('0.0.0.0', 0, 0, 65535, 9, 3, 'all'), rule('0.0.0.0', 0, 1024, 65535, 10, 4)]);
  });

  it('-i is accepted and noted as not checked', () => {
    const r = run(mangle('-A PREROUTING -d 198.18.0.10/32 -i eth0 -p tcp -m tcp --dport 80 -j MARK --set-xmark 0x50/0xffffffff'));
    expect(r.rules).toHaveLength(1);
    expect(r.notes).toEqual(['3 mangle PREROUTING: -i eth0 is not checked: tsvs classifies every packet it receives']);
  });

  it('source ports, negated ports, other matches and mark arithmetic are problems', () => {
    const r = run(mangle(
      '-A PREROUTING -p tcp -m tcp --sport 1024:65535 --dport 80 -j MARK --set-mark 80',
      '-A PREROUTING -p tcp -m multiport ! --dports 80,443 -j MARK --set-mark 80',
      '-A PREROUTING -p tcp -m tcp --tcp-flags SYN,RST SYN --dport 80 -j MARK --set-mark 80',
      '-A PREROUTING -p tcp -m tcp --dport 80 -j MARK --or-mark 0x1',
      '-A PREROUTING -p icmp -j MARK --set-mark 1',
      '-A PREROUTING -p tcp -m tcp --dport 80 -j MARK --set-xmark 0x0/0xffffffff',
    ));
    expect(r.rules).toEqual([]);
    expect(r.problems).toEqual([
      'iptables.save:3: UNSUPPORTED: cannot honour --sport 1024:65535 (tsvs classifies by destination only)',
      'iptables.save:4: UNSUPPORTED: cannot honour ! --dports 80,443 (negations are not supported)',
      'iptables.save:5: UNSUPPORTED: cannot honour --tcp-flags SYN,RST SYN (tsvs matches protocol, destination address and destination port only)',
      'iptables.save:6: UNSUPPORTED: cannot honour --or-mark 0x1 (it combines with the mark an earlier rule set; tsvs rules set whole marks)',
      'iptables.save:7: UNSUPPORTED: cannot honour -p icmp (tsvs balances TCP and UDP only)',
      'iptables.save:8: UNSUPPORTED: cannot honour --set-xmark 0x0/0xffffffff (mark 0 clears the mark; tsvs rules set marks 1..4294967295)',
    ]);
  });

  it('another target ahead of a MARK rule is a problem; after the last one, or a harmless one, a note', () => {
    const r = run(mangle(
      '-A PREROUTING -p tcp -m tcp --dport 22 -j ACCEPT',
      '-A PREROUTING -j LOG --log-prefix "pre: "',
      '-A PREROUTING -d 198.18.0.10/32 -p tcp -m tcp --dport 80 -j MARK --set-mark 80',
      '-A PREROUTING -p udp -j RETURN',
      '-A PREROUTING -p udp',
    ));
    expect(r.rules).toHaveLength(1);
    expect(r.problems).toEqual([
      'iptables.save:3: UNSUPPORTED: cannot honour -j ACCEPT ahead of the MARK rule at line 5 (it can end the chain for the packets it matches; tsvs applies MARK rules only)',
    ]);
    expect(r.notes).toEqual([
      '4 mangle PREROUTING: -j LOG changes no mark; ignored',
      '6 mangle PREROUTING: -j RETURN comes after the last MARK rule, so it changes no mark; ignored',
      '7 mangle PREROUTING: a rule without a target only counts packets; it changes no mark',
    ]);
  });

  it('jumps into a chain that sets marks, CONNMARK --restore-mark, and marks set before IPVS elsewhere are problems', () => {
    const text =
      '*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:WEB - [0:0]\n' + // 1..5
      '-A PREROUTING -j WEB\n' + // 6
      '-A PREROUTING -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff\n' + // 7
      '-A INPUT -p tcp -j MARK --set-mark 5\n' + // 8
      '-A OUTPUT -p tcp -j MARK --set-mark 6\n' + // 9
      '-A WEB -p tcp -m tcp --dport 80 -j MARK --set-mark 80\n' + // 10
      'COMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -j MARK --set-mark 7\nCOMMIT\n'; // 11..15, the MARK at 14
    const r = run(text);
    expect(r.rules).toEqual([]);
    expect(r.problems).toEqual([
      'iptables.save:6: UNSUPPORTED: cannot honour -j WEB (tsvs follows no jumps, and chain WEB sets marks at line 10; put its MARK rules in PREROUTING)',
      'iptables.save:7: UNSUPPORTED: cannot honour -j CONNMARK (it changes the mark from connection state; tsvs sets marks by MARK --set-mark/--set-xmark only)',
      'iptables.save:8: UNSUPPORTED: cannot honour mangle INPUT -j MARK (it sets the mark before IPVS sees the packet; tsvs reads marks from mangle PREROUTING only: move the rule there)',
      'iptables.save:14: UNSUPPORTED: cannot honour nat PREROUTING -j MARK (it sets the mark before IPVS sees the packet; tsvs reads marks from mangle PREROUTING only: move the rule there)',
    ]);
    expect(r.notes).toEqual([
      '8 iptables-save: ignored: mangle chain INPUT, mangle chain OUTPUT, mangle chain WEB, table nat (tsvs reads only the PREROUTING chain of the mangle table)',
      '9 mangle OUTPUT: sets marks on packets IPVS does not schedule (OUTPUT); ignored',
      '10 mangle WEB: sets marks in a user chain; tsvs follows no jumps; ignored',
    ]);
  });

  it('syntax errors: a rule outside a table, a line that is no rule, a bad value, a table never committed', () => {
    const r = run('-A PREROUTING -j ACCEPT\n*mangle\n-I PREROUTING -j ACCEPT\n-A PREROUTING -d 198.18.0.300 -j MARK --set-mark 1\n-A PREROUTING -p tcp -m tcp --dport 80 -j MARK\n-A PREROUTING --comment "open\n');
    expect(r.problems).toEqual([
      'iptables.save:1: BADCOMMAND: "-A" outside a table: iptables-save output opens each table with *NAME',
      'iptables.save:2: EOF: *mangle is never closed with COMMIT',
      'iptables.save:3: BADCOMMAND: not a rule (-A CHAIN ...): "-I"',
      'iptables.save:4: BADHOSTNAME: destination "198.18.0.300" is not an IPv4 address (host names are not resolved)',
      'iptables.save:5: MISSINGARGS: -j MARK needs --set-mark or --set-xmark VALUE[/MASK]',
      'iptables.save:6: BADQUOTING: a quoted value is not closed',
    ]);
  });

  it('clears host bits as iptables does', () => {
    expect(run(mangle('-A PREROUTING -d 198.18.0.10/24 -j MARK --set-mark 1')).rules[0]).toMatchObject({ address: ip('198.18.0.0'), prefixLen: 24 });
  });
});
