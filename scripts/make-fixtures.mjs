// Writes the small captures under test/fixtures/pcap that the replay tests and
// the README use. Run after `npm run build`: node scripts/make-fixtures.mjs
// Frames as a router port would capture them: client-side frames on the VIP's
// LAN, real-server frames on the NAT side; real servers announce themselves by
// ARP first, so replay learns their MACs from the capture itself.
import { buildArp, buildTcp } from '../dist/src/packet/build.js';
import { parseIPv4 } from '../dist/src/model/addr.js';
import { PcapWriter } from '../dist/src/io/pcap-writer.js';

const ip = (s) => parseIPv4(s);
const ROUTER = { eth0: '02:74:73:76:00:01', eth1: '02:74:73:76:00:02' }; // tsvs's default MACs
const GW = '02:67:77:00:00:01'; // the client side's gateway
const VIP = ip('198.18.0.10');
const NATR = ip('198.19.0.1');
const rsMac = (i) => `02:52:00:00:00:${(0x10 + i).toString(16)}`;
const SYN = 2, ACK = 16, FIN = 1, PSH = 8;
const GET = new TextEncoder().encode('GET / HTTP/1.0\r\n\r\n');
const OK = new TextEncoder().encode('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok');

function natHttp(path) {
  const w = new PcapWriter(path);
  let t = Date.UTC(2026, 0, 1) ;
  const at = (f) => w.write((t += 1), f);
  const servers = [11, 12, 13].map((n) => ip(`198.19.0.${n}`));
  servers.forEach((rs, i) => at(buildArp({ srcMac: rsMac(i), dstMac: 'ff:ff:ff:ff:ff:ff', op: 1, senderMac: rsMac(i), senderIp: rs, targetIp: NATR })));
  at(buildArp({ srcMac: GW, dstMac: 'ff:ff:ff:ff:ff:ff', op: 1, senderMac: GW, senderIp: ip('198.18.0.1'), targetIp: VIP }));
  // wlc with weights 1,1,2 (list .13 .12 .11): clients go to .13, .12, .11 in turn.
  for (let c = 0; c < 3; c++) {
    const cli = ip(`198.18.1.${c + 1}`);
    const sport = 40000 + c;
    const rs = servers[2 - c];
    const rmac = rsMac(2 - c);
    const toVip = (flags, seq, ack, payload) => buildTcp({ srcMac: GW, dstMac: ROUTER.eth0, src: cli, dst: VIP, sport, dport: 80, flags, seq, ack, payload });
    const fromRs = (flags, seq, ack, payload) => buildTcp({ srcMac: rmac, dstMac: ROUTER.eth1, src: rs, dst: cli, sport: 80, dport: sport, flags, seq, ack, payload });
    at(toVip(SYN, 1000, 0));
    at(fromRs(SYN | ACK, 5000, 1001));
    at(toVip(ACK, 1001, 5001));
    at(toVip(PSH | ACK, 1001, 5001, GET));
    at(fromRs(PSH | ACK, 5001, 1001 + GET.length, OK));
    at(toVip(FIN | ACK, 1001 + GET.length, 5001 + OK.length));
    at(fromRs(FIN | ACK, 5001 + OK.length, 1002 + GET.length));
    at(toVip(ACK, 1002 + GET.length, 5002 + OK.length));
  }
  // A segment for no connection, and one frame that is not even Ethernet-sized.
  at(buildTcp({ srcMac: GW, dstMac: ROUTER.eth0, src: ip('198.18.1.9'), dst: VIP, sport: 1, dport: 80, flags: ACK }));
  at(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
  w.close();
}

function drHttp(path) {
  const w = new PcapWriter(path);
  let t = Date.UTC(2026, 0, 1);
  const at = (f) => w.write((t += 1), f);
  const servers = [21, 22, 23].map((n) => ip(`198.18.0.${n}`));
  servers.forEach((rs, i) => at(buildArp({ srcMac: rsMac(i), dstMac: 'ff:ff:ff:ff:ff:ff', op: 1, senderMac: rsMac(i), senderIp: rs, targetIp: ip('198.18.0.1') })));
  for (let c = 0; c < 3; c++) {
    const cli = ip(`198.18.1.${c + 1}`);
    const toVip = (flags, seq) => buildTcp({ srcMac: GW, dstMac: ROUTER.eth0, src: cli, dst: VIP, sport: 41000 + c, dport: 80, flags, seq, ack: flags & ACK ? 1 : 0 });
    at(toVip(SYN, 1));
    at(toVip(ACK, 2));
    at(toVip(FIN | ACK, 2));
  }
  w.close();
}

natHttp('test/fixtures/pcap/nat-http.pcap');
drHttp('test/fixtures/pcap/dr-http.pcap');
console.log('wrote test/fixtures/pcap/nat-http.pcap and dr-http.pcap');
