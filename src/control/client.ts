// The control API's client over its unix socket, for tsvs admin, tsvs top and
// the web tool. A refused request rejects with ApiRequestError (the API's code
// and message); a router that cannot be reached rejects with ClientError saying
// why in a line an operator can act on.
import { request } from 'node:http';
import { serverRefOf, serviceIdOf } from './service-id.js';
import {
  type FailoverView,
  ApiRequestError, DEFAULT_SOCKET, type ApiError, type ChangeResult, type ConnPage, type ControlApi, type DataPlaneView, type HealthForce,
  type HealthServerView, type HealthView, type Op, type ReloadView, type ServiceSelector, type ServiceView, type StatusView, type TableView,
  type TimeoutsView,
} from './types.js';

/** The router could not be asked (not running, no permission, it broke the connection). */
export class ClientError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'ClientError';
  }
}

export class ControlClient implements ControlApi {
  constructor(
    readonly socketPath: string = DEFAULT_SOCKET,
    private readonly timeoutMs = 30_000,
  ) {}

  status(): Promise<StatusView> {
    return this.call('GET', '/v1/status');
  }

  table(): Promise<TableView> {
    return this.call('GET', '/v1/table');
  }

  service(sel: Parameters<typeof serviceIdOf>[0]): Promise<ServiceView> {
    return this.call('GET', `/v1/services/${serviceIdOf(sel)}`);
  }

  timeouts(): Promise<TimeoutsView> {
    return this.call('GET', '/v1/timeouts');
  }

  connections(offset: number, limit: number): Promise<ConnPage> {
    return this.call('GET', `/v1/connections?offset=${offset}&limit=${limit}`);
  }

  dataplane(): Promise<DataPlaneView> {
    return this.call('GET', '/v1/dataplane');
  }

  change(ops: Op[]): Promise<ChangeResult> {
    return this.call('POST', '/v1/ops', { ops });
  }

  reload(): Promise<ReloadView> {
    return this.call('POST', '/v1/reload', {});
  }

  health(): Promise<HealthView> {
    return this.call('GET', '/v1/health');
  }

  forceHealth(service: ServiceSelector, server: { address: string; port: number }, force: HealthForce): Promise<HealthServerView> {
    return this.call('POST', `/v1/health/${serviceIdOf(service)}/${serverRefOf(server.address, server.port)}`, { force });
  }

  failover(): Promise<FailoverView> {
    return this.call('GET', '/v1/failover');
  }

  standby(on: boolean): Promise<FailoverView> {
    return this.call('POST', '/v1/failover', { standby: on });
  }

  /** One request; resolves with the JSON answer of a 2xx. */
  call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise<T>((resolve, reject) => {
      const req = request({
        socketPath: this.socketPath, method, path, timeout: this.timeoutMs,
        headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {},
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            reject(new ClientError(`the router answered ${res.statusCode} with something that is not JSON: ${text.slice(0, 200)}`, 'EPROTO'));
            return;
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(json as T);
          else reject(new ApiRequestError(status, (json as { error?: ApiError }).error ?? { code: 'EIO', message: `HTTP ${status}` }));
        });
      });
      req.on('timeout', () => req.destroy(new ClientError(`the router did not answer within ${this.timeoutMs / 1000} s (${this.socketPath})`, 'ETIMEDOUT')));
      req.on('error', (e) => reject(this.explain(e)));
      req.end(payload);
    });
  }

  private explain(e: Error): Error {
    if (e instanceof ClientError) return e;
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    const path = this.socketPath;
    if (code === 'ENOENT' || code === 'ECONNREFUSED') return new ClientError(`tsvs is not running: nothing answers on ${path} (start it with tsvs start, or give its socket with --control-socket)`, code);
    if (code === 'EACCES' || code === 'EPERM') return new ClientError(`Permission denied (you must be root): ${path} is root's`, 'EPERM');
    return new ClientError(`cannot reach the router on ${path}: ${e.message}`, code);
  }
}
