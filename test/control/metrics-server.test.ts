// The /metrics endpoint on an ephemeral loopback port, and the listen
// addresses it accepts.
import { afterEach, describe, expect, it } from 'vitest';
import { METRICS_CONTENT_TYPE } from '../../src/control/metrics.js';
import { ListenAddressError, MetricsServer, parseListen } from '../../src/control/metrics-server.js';
import { dataplane, status, table } from './fixtures.js';

describe('parseListen', () => {
  it('a port alone is loopback', () => {
    expect(parseListen('9100')).toEqual({ host: '127.0.0.1', port: 9100 });
  });
  it('HOST:PORT and [IPV6]:PORT', () => {
    expect(parseListen('0.0.0.0:9100')).toEqual({ host: '0.0.0.0', port: 9100 });
    expect(parseListen('localhost:0')).toEqual({ host: 'localhost', port: 0 });
    expect(parseListen('[::1]:9100')).toEqual({ host: '::1', port: 9100 });
  });
  it('refuses :PORT (every address or loopback? it says which), bad ports and other text', () => {
    expect(() => parseListen(':9100')).toThrow(/127\.0\.0\.1:9100 \(this host only\) or 0\.0\.0\.0:9100 \(every address\)/);
    expect(() => parseListen('70000')).toThrow(ListenAddressError);
    expect(() => parseListen('::1')).toThrow(ListenAddressError);
    expect(() => parseListen('host:')).toThrow(ListenAddressError);
    expect(() => parseListen('')).toThrow(ListenAddressError);
  });
});

describe('MetricsServer', () => {
  let server: MetricsServer | null = null;
  afterEach(async () => {
    await server?.stop();
    server = null;
  });

  async function started(snapshot = async () => ({ table: table(), dataplane: dataplane(), status: status() }), onError?: (e: unknown) => void) {
    server = new MetricsServer({ listen: '0', snapshot, onError });
    await server.start();
    const { host, port } = server.address();
    return `http://${host}:${port}`;
  }

  it('answers GET /metrics on loopback with the text format', async () => {
    const base = await started();
    expect(server!.address().host).toBe('127.0.0.1');
    expect(server!.address().port).toBeGreaterThan(0);
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(METRICS_CONTENT_TYPE);
    const body = await res.text();
    expect(body).toMatch(/^node_ipvs_backend_weight\{.*remote_address="10\.0\.0\.3".*\} 3$/m);
    expect(body).toMatch(/^tsvs_table_version 12$/m);
  });

  it('reads a new snapshot for every scrape', async () => {
    let version = 1;
    const base = await started(async () => {
      const t = table();
      t.version = version++;
      return { table: t, dataplane: dataplane(), status: status() };
    });
    await fetch(`${base}/metrics`).then((r) => r.text());
    expect(await fetch(`${base}/metrics`).then((r) => r.text())).toMatch(/^tsvs_table_version 2$/m);
  });

  it('404s other paths, 405s other methods', async () => {
    const base = await started();
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/metrics/x`)).status).toBe(404);
    const post = await fetch(`${base}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(`${base}/metrics?name[]=x`)).status).toBe(200);
  });

  it('a snapshot that fails is a 500 with the reason, and is reported', async () => {
    const errors: unknown[] = [];
    const base = await started(async () => {
      throw new Error('connect ENOENT /run/tsvs/control.sock');
    }, (e) => errors.push(e));
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(500);
    expect(await res.text()).toBe("tsvs: cannot read the router's state: connect ENOENT /run/tsvs/control.sock\n");
    expect(errors).toHaveLength(1);
  });

  it('stop() closes the port; start() on a port in use rejects', async () => {
    const base = await started();
    const { port } = server!.address();
    const other = new MetricsServer({ listen: `127.0.0.1:${port}`, snapshot: async () => ({ table: table(), dataplane: dataplane(), status: status() }) });
    await expect(other.start()).rejects.toThrow(/EADDRINUSE/);
    await server!.stop();
    await expect(fetch(`${base}/metrics`)).rejects.toThrow();
    expect(() => server!.address()).toThrow(/not started/);
  });
});
