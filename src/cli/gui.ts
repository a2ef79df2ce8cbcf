// `tsvs gui`: the web configuration tool (Piranha's piranha-gui), its own
// process. `tsvs passwd`: sets its password (piranha-passwd). Safe defaults:
// 127.0.0.1:3636 only, the allow-list 127.0.0.0/8, HTTPS when given --cert and
// --key, no page without the password. src/gui/ holds the tool; this wires argv.
import { readFileSync } from 'node:fs';
import { createServer as createHttps } from 'node:https';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { serve } from '@hono/node-server';
import { createApp } from '../gui/app.js';
import { Router } from '../gui/control.js';
import { DEFAULT_PASSWD, DEFAULT_USER, readPasswd, setPassword } from '../gui/passwd.js';
import { parseAllowList } from '../gui/security.js';
import { clientOf, SOCKET_OPTION } from './control-commands.js';
import { defineCommand, EXIT_FAILURE, EXIT_OK, UsageError } from './registry.js';
import { DEFAULT_CONFIG } from './start.js';

const PASSWD_OPTION = { type: 'string', arg: 'FILE', default: DEFAULT_PASSWD, help: 'the password file (scrypt hashes, mode 0600)' } as const;

export function parseListen(text: string): { host: string; port: number } {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:]+\]|localhost):(\d{1,5})$/.exec(text);
  const port = Number(m?.[2]);
  if (!m || port < 1 || port > 65535) throw new UsageError(`--listen ${text}: want ADDRESS:PORT, as 127.0.0.1:3636`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

export const guiCommand = defineCommand({
  name: 'gui',
  summary: 'the web configuration tool (Piranha\'s panels), on 127.0.0.1:3636 by default',
  description: 'Serves the Piranha configuration panels for an lvs.cf: CONTROL/MONITORING, GLOBAL SETTINGS,\n' +
    'REDUNDANCY, VIRTUAL SERVERS (REAL SERVER, MONITORING SCRIPTS). Changes are validated as tsvs check\n' +
    'validates, shown as a diff, written on confirm (serial_no + 1, comments kept), logged in the audit\n' +
    'log, and applied through the router\'s control socket when it runs. Set the password first with\n' +
    'tsvs passwd. Only clients in --allow get an answer; HTTPS with --cert and --key.',
  options: {
    config: { type: 'string', short: 'c', arg: 'FILE', default: DEFAULT_CONFIG, help: 'the lvs.cf to edit' },
    listen: { type: 'string', arg: 'ADDR:PORT', default: '127.0.0.1:3636', help: 'where to listen' },
    cert: { type: 'string', arg: 'FILE', help: 'TLS certificate (PEM): serve HTTPS' },
    key: { type: 'string', arg: 'FILE', help: 'TLS private key (PEM), with --cert' },
    allow: { type: 'string', arg: 'CIDR,...', default: '127.0.0.0/8', help: 'client networks allowed; others get 403' },
    passwd: PASSWD_OPTION,
    'audit-log': { type: 'string', arg: 'FILE', help: 'append-only log of every change (default gui-audit.log beside the password file)' },
    'control-socket': SOCKET_OPTION,
  },
  async run({ values, io }) {
    const { host, port } = parseListen(values.listen);
    if (!values.cert !== !values.key) throw new UsageError('--cert and --key go together');
    let allow;
    try {
      allow = parseAllowList(values.allow);
    } catch (e) {
      throw new UsageError(`--allow: ${(e as Error).message}`);
    }
    if (readPasswd(values.passwd).size === 0) io.err(`tsvs gui: no password in ${values.passwd} yet: set one with tsvs passwd --passwd ${values.passwd}\n`);
    const https = Boolean(values.cert);
    const log = (line: string) => io.err(`${new Date().toISOString()} tsvs gui: ${line}\n`);
    const app = createApp({
      config: values.config, passwd: values.passwd, auditLog: values['audit-log'] ?? join(dirname(values.passwd), 'gui-audit.log'),
      allow, https, router: new Router(clientOf(values['control-socket'])), log,
    });
    const server = https
      ? serve({ fetch: app.fetch, hostname: host, port, createServer: createHttps, serverOptions: { cert: readFileSync(values.cert!), key: readFileSync(values.key!) } })
      : serve({ fetch: app.fetch, hostname: host, port });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    }).catch((e: Error) => {
      throw new Error(`cannot listen on ${values.listen}: ${e.message}`);
    });
    log(`listening on ${https ? 'https' : 'http'}://${values.listen}/ for ${values.allow}, editing ${values.config}`);
    await new Promise<void>((resolve) => {
      for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => server.close(() => resolve()));
    });
    return EXIT_OK;
  },
});

/** The password: from a terminal without echo, asked twice; else the first line of stdin. */
async function readNewPassword(): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY === true });
  const lines = rl[Symbol.asyncIterator]();
  const ask = async (prompt: string): Promise<string> => {
    if (process.stdin.isTTY) {
      process.stdout.write(prompt);
      (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
    }
    const r = await lines.next();
    if (process.stdin.isTTY) process.stdout.write('\n');
    return r.done ? '' : r.value;
  };
  try {
    const first = await ask('New password: ');
    if (process.stdin.isTTY && (await ask('Again: ')) !== first) throw new Error('the two passwords differ');
    return first;
  } finally {
    rl.close();
  }
}

export const passwdCommand = defineCommand({
  name: 'passwd',
  summary: 'set the web tool\'s password (piranha-passwd): scrypt hash in a 0600 file',
  description: `Asks for the password twice on a terminal, or reads it from the first line of stdin. The file\n` +
    `(default ${DEFAULT_PASSWD}) holds USER:scrypt$N$r$p$SALT$HASH lines, never the password.`,
  options: {
    passwd: PASSWD_OPTION,
    user: { type: 'string', arg: 'NAME', default: DEFAULT_USER, help: 'the user whose password is set' },
  },
  async run({ values, io }) {
    const pw = await readNewPassword();
    if (pw.length < 8) {
      io.err('tsvs passwd: a password has at least 8 characters; nothing changed\n');
      return EXIT_FAILURE;
    }
    await setPassword(values.passwd, values.user, pw);
    io.out(`password of ${values.user} set in ${values.passwd}\n`);
    return EXIT_OK;
  },
});
