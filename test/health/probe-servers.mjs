// The servers the probe tests check, all in one process, started by the test
// inside its own server namespace: `node probe-servers.mjs '{"address":..., "cert":..., "key":...}'`.
// Prints "ready" once every socket listens, then one JSON line per thing a test
// wants to see from the server's side (the bytes of a request, a Host header,
// an SNI). Plain JavaScript: the tests are not compiled, and this runs under
// `ip netns exec`, where vitest's TypeScript loader is not.
import { createServer as tcpServer } from 'node:net';
import { createServer as httpServer } from 'node:http';
import { createServer as httpsServer } from 'node:https';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';

const cfg = JSON.parse(process.argv[2]);
const event = (e) => process.stdout.write(JSON.stringify(e) + '\n');
const listening = [];
const listen = (server, port) =>
  listening.push(new Promise((resolve, reject) => server.once('error', reject).listen(port, cfg.address, resolve)));
const udp = (port, onMessage) => {
  const s = createSocket('udp4');
  s.on('message', (msg, from) => onMessage(msg, from, (reply) => s.send(reply, from.port, from.address)));
  listening.push(new Promise((resolve, reject) => s.once('error', reject).bind(port, cfg.address, resolve)));
};

// TCP 80: records the first bytes of each connection, answers like a web server, closes.
listen(tcpServer((c) => c.once('data', (b) => {
  event({ kind: 'tcp80', data: b.toString('latin1') });
  c.end('HTTP/1.0 200 OK\r\n\r\nok\n');
}).on('error', () => {})), 80);
// 7001 greets on connect; 7002 echoes; 7003 says nothing; 7004 answers a 500; 7005 closes at once.
listen(tcpServer((c) => c.on('error', () => {}).write('220 probe ready\r\n')), 7001);
listen(tcpServer((c) => c.on('error', () => {}).pipe(c)), 7002);
listen(tcpServer((c) => c.on('error', () => {})), 7003);
listen(tcpServer((c) => c.on('error', () => {}).once('data', () => c.end('HTTP/1.1 500 Internal Server Error\r\n\r\n'))), 7004);
listen(tcpServer((c) => c.on('error', () => {}).end()), 7005);
// 7006 greets with the peer's address (for bindTo).
listen(tcpServer((c) => c.on('error', () => {}).end(`peer ${c.remoteAddress}\r\n`)), 7006);

function web(req, res) {
  const url = new URL(req.url, 'http://x');
  const send = (status, body) => res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
  if (url.pathname === '/ok') return send(200, 'hello world\n');
  if (url.pathname.startsWith('/status/')) return send(Number(url.pathname.slice(8)), 'status\n');
  if (url.pathname === '/host') {
    event({ kind: 'host', path: url.search, host: req.headers.host });
    return send(200, `host ${req.headers.host}\n`);
  }
  if (url.pathname === '/peer') return send(200, `peer ${req.socket.remoteAddress}\n`);
  if (url.pathname === '/big') return send(200, Buffer.alloc((1 << 20) + 1, 'x'));
  if (url.pathname === '/slow') return; // never answers
  if (url.pathname === '/trickle') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    const t = setInterval(() => res.write('.'), 100);
    return res.on('close', () => clearInterval(t));
  }
  return send(404, 'not found\n');
}
listen(httpServer(web), 8080);

const tls = httpsServer({ cert: readFileSync(cfg.cert), key: readFileSync(cfg.key) }, (req, res) => {
  const sni = req.socket.servername || null;
  event({ kind: 'sni', path: req.url, sni });
  res.writeHead(200, { 'content-type': 'text/plain' }).end(`sni ${sni ?? '(none)'}\n`);
});
listen(tls, 8443);

// UDP 9000 echoes; 9001 answers fixed bytes; 9002 is bound and silent; 9004 answers the peer's address.
udp(9000, (msg, _from, reply) => reply(msg));
udp(9001, (_msg, _from, reply) => reply(Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x01, 0x02])));
udp(9002, () => {});
udp(9004, (_msg, from, reply) => reply(Buffer.from(from.address)));

// DNS on 5353 (RFC 1035): the name chooses the answer.
udp(5353, (msg, _from, reply) => {
  const q = parseQuery(msg);
  if (!q) return;
  event({ kind: 'dns', name: q.name, type: q.type });
  if (q.name === 'silent.test') return;
  if (q.name === 'badid.test') {
    reply(answer(msg, q, { id: (q.id + 1) & 0xffff, rcode: 0, records: [] }));
    return setTimeout(() => reply(answer(msg, q, { rcode: 0, records: [a(198, 18, 0, 10)] })), 50);
  }
  const rcode = { 'nx.test': 3, 'fail.test': 2, 'refused.test': 5 }[q.name] ?? 0;
  const records = q.name === 'ok.test' && q.type === 1 ? [a(198, 18, 0, 10), a(198, 18, 0, 11)] : [];
  reply(answer(msg, q, { rcode, records }));
});

function parseQuery(msg) {
  if (msg.length < 12) return null;
  const labels = [];
  let off = 12;
  while (off < msg.length && msg[off] !== 0) {
    labels.push(msg.subarray(off + 1, off + 1 + msg[off]).toString('ascii'));
    off += 1 + msg[off];
  }
  if (off + 5 > msg.length) return null;
  return { id: msg.readUInt16BE(0), name: labels.join('.'), type: msg.readUInt16BE(off + 1), end: off + 5 };
}

const a = (...ip) => ({ type: 1, rdata: Buffer.from(ip) });

function answer(query, q, { id = q.id, rcode, records }) {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(id, 0);
  head.writeUInt16BE(0x8180 | rcode, 2); // QR, RD, RA
  head.writeUInt16BE(1, 4);
  head.writeUInt16BE(records.length, 6);
  const rrs = records.map((r) => {
    const rr = Buffer.alloc(12 + r.rdata.length);
    rr.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
    rr.writeUInt16BE(r.type, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(60, 6);
    rr.writeUInt16BE(r.rdata.length, 10);
    r.rdata.copy(rr, 12);
    return rr;
  });
  return Buffer.concat([head, query.subarray(12, q.end), ...rrs]);
}

await Promise.all(listening);
process.stdout.write('ready\n');
