// HTTP_GET and SSL_GET (keepalived check_http.c): GET the url's path; the status
// must fall in one of the ranges; when a digest is set, the MD5 of the body must
// equal it (genhash's value); when a regex is set, the body must match it (or,
// with regex_no_match, must not). One deadline covers the whole exchange, so a
// server that accepts and then trickles (keepalived issue #1822) still fails.
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { isIPv6 } from 'node:net';
import type { HttpCheck, ProbeResult, ProbeTarget } from '../types.js';
import { attempt, describeError, type Attempt } from './attempt.js';

/** The most of a body read for a digest or a regex; a bigger body fails the check. */
export const BODY_MAX = 1 << 20;
const DEFAULT_STATUS: Array<[number, number]> = [[200, 299]];

export function httpProbe(spec: HttpCheck, target: ProbeTarget, timeoutMs: number, signal?: AbortSignal): Promise<ProbeResult> {
  const port = spec.port ?? target.port;
  return attempt(timeoutMs, signal, (a) => {
    const re = spec.regex === null ? null : compile(spec.regex);
    const options: http.RequestOptions = {
      host: target.address,
      port,
      path: spec.path,
      method: 'GET',
      agent: false,
      setHost: false,
      headers: { Host: spec.virtualhost ?? hostHeader(target.address, port, spec.kind), 'User-Agent': 'tsvs-check', Connection: 'close' },
      ...(target.bindTo ? { localAddress: target.bindTo } : {}),
    };
    // SSL_GET verifies no certificate unless told to (keepalived's SSL block has
    // no CA by default): a check asks "does it serve?", not "is it trusted?".
    // An empty servername keeps Node from sending the Host header as SNI.
    const req =
      spec.kind === 'https'
        ? https.request({ ...options, rejectUnauthorized: false, servername: spec.sni ?? '' })
        : http.request(options);
    a.onEnd(() => req.destroy());
    req.on('error', (e) => a.fail(tlsReason(e) ?? describeError(e)));
    req.on('response', (res) => onResponse(a, spec, re, res));
    req.end();
  });
}

function onResponse(a: Attempt, spec: HttpCheck, re: RegExp | null, res: http.IncomingMessage): void {
  a.onEnd(() => res.destroy());
  const status = res.statusCode ?? 0;
  const ranges = spec.status.length > 0 ? spec.status : DEFAULT_STATUS;
  if (!ranges.some(([lo, hi]) => status >= lo && status <= hi)) return a.fail(`status ${status}`);
  // Only the status is asked: no need to read the body at all.
  if (spec.digest === null && re === null) return a.ok(`status ${status}`);
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (b: Buffer) => {
    size += b.length;
    if (size > BODY_MAX) return a.fail('body over 1 MiB');
    chunks.push(b);
  });
  res.on('end', () => {
    const verdict = judgeBody(spec, re, Buffer.concat(chunks));
    if (verdict) a.fail(verdict);
    else a.ok(`status ${status}`);
  });
  res.on('error', (e) => a.fail(describeError(e)));
  // Closed before 'end' (which settles first when the body is whole).
  res.on('close', () => a.fail('connection closed before the end of the body'));
}

/** Why the body fails the check, or null when it passes. */
export function judgeBody(spec: Pick<HttpCheck, 'digest' | 'regex' | 'regexNoMatch'>, re: RegExp | null, body: Buffer): string | null {
  if (spec.digest !== null) {
    const md5 = createHash('md5').update(body).digest('hex');
    if (md5 !== spec.digest.toLowerCase()) return `digest mismatch: got ${md5}`;
  }
  if (re !== null) {
    const matched = re.test(body.toString('utf8'));
    if (matched && spec.regexNoMatch) return 'body matches regex (regex_no_match)';
    if (!matched && !spec.regexNoMatch) return 'body does not match regex';
  }
  return null;
}

function compile(source: string): RegExp {
  try {
    return new RegExp(source);
  } catch (e) {
    throw new Error(`bad regex: ${(e as Error).message}`);
  }
}

/** OpenSSL's reason ("error:0A00010B:SSL routines::wrong version number" -> "tls: wrong version number"). */
function tlsReason(e: Error): string | null {
  const m = /SSL routines:[^:]*:([^:\n]+)/.exec(e.message);
  return m ? `tls: ${m[1].trim()}` : null;
}

/** RFC 9110 7.2: Host is uri-host [":" port], the port left out when it is the scheme's default. */
export function hostHeader(address: string, port: number, kind: 'http' | 'https'): string {
  const host = isIPv6(address) ? `[${address}]` : address;
  return port === (kind === 'https' ? 443 : 80) ? host : `${host}:${port}`;
}
