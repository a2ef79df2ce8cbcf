// The health bench's real servers, all of them (lab.ts starts this inside the
// responders' namespace, where 10,000 addresses sit on lo): one process, two
// listeners on every address at once (0.0.0.0).
//   :80    TCP: accepts and closes at once (FIN; the fd goes, the kernel finishes
//          the close). A TCP check only needs the handshake; accepting keeps the
//          accept queue from filling up.
//   :8080  HTTP: "200 ok" and Connection: close to any request.
// The backlog is as deep as the namespace's somaxconn allows (lab.ts raises it): a
// GC pause here must not drop SYNs, which the checker would count as failures.
// Prints "ready" once both listen; exits on SIGTERM, or after `maxSeconds` (argv[2])
// whatever happens, so a lost parent never leaves it running.
import http from 'node:http';
import net from 'node:net';
import { HTTP_PORT, TCP_PORT } from './ports.js';

const BACKLOG = 65535;

const maxSeconds = Number(process.argv[2] ?? 3600);
const tcp = net.createServer({ pauseOnConnect: true }, (sock) => {
  sock.on('error', () => {}); // a checker that reset first: nothing to do
  sock.destroy();
});
const web = http.createServer((_req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': 3, Connection: 'close' });
  res.end('ok\n');
});
web.on('clientError', (_e, sock) => sock.destroy()); // a TCP check on 8080, or a reset: no reply owed
tcp.on('error', fatal);
web.on('error', fatal);

function fatal(e: Error): never {
  process.stderr.write(`health bench responder: ${e.message}\n`);
  process.exit(1);
}

await Promise.all([
  new Promise<void>((resolve) => tcp.listen({ host: '0.0.0.0', port: TCP_PORT, backlog: BACKLOG }, resolve)),
  new Promise<void>((resolve) => web.listen({ host: '0.0.0.0', port: HTTP_PORT, backlog: BACKLOG }, resolve)),
]);
process.stdout.write('ready\n');
const stop = (): void => process.exit(0);
process.once('SIGTERM', stop).once('SIGINT', stop);
setTimeout(stop, maxSeconds * 1000).unref();
