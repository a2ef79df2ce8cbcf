// The daemon as a host of components: each has a name and a start/stop
// lifecycle; they start in order and stop in reverse, and a component that fails
// to start stops the ones already started. The status API shows their states.

export interface Component {
  readonly name: string;
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
}

type State = 'stopped' | 'running' | `failed: ${string}`;

export class Components {
  private readonly list: Array<{ c: Component; state: State }> = [];

  add(c: Component): void {
    this.list.push({ c, state: 'stopped' });
  }

  /** Starts every component in order; on a failure, stops those started and rethrows. */
  async start(): Promise<void> {
    for (const entry of this.list) {
      try {
        await entry.c.start();
        entry.state = 'running';
      } catch (e) {
        entry.state = `failed: ${(e as Error).message.split('\n')[0]}`;
        await this.stop();
        throw e;
      }
    }
  }

  /** Stops the running components in reverse order; a failing stop does not keep the others running. */
  async stop(): Promise<void> {
    for (const entry of [...this.list].reverse()) {
      if (entry.state !== 'running') continue;
      try {
        await entry.c.stop();
        entry.state = 'stopped';
      } catch (e) {
        entry.state = `failed: ${(e as Error).message.split('\n')[0]}`;
      }
    }
  }

  /** Marks a running component as failed (it died on its own). */
  failed(name: string, why: string): void {
    const entry = this.list.find((e) => e.c.name === name);
    if (entry) entry.state = `failed: ${why}`;
  }

  states(): Record<string, string> {
    return Object.fromEntries(this.list.map((e) => [e.c.name, e.state]));
  }
}

/** A component that runs fn every `ms` while it runs. */
export function every(name: string, ms: number, fn: () => void): Component {
  let t: NodeJS.Timeout | null = null;
  return {
    name,
    start: () => {
      t = setInterval(fn, ms);
    },
    stop: () => {
      if (t) clearInterval(t);
      t = null;
    },
  };
}

/** The process's signals while it runs: SIGHUP to `on.SIGHUP`, the first SIGTERM or SIGINT to `on.stop`. */
export function signals(proc: NodeJS.Process, on: { SIGHUP: () => void; stop: (sig: NodeJS.Signals) => void }): Component {
  const hup = (): void => on.SIGHUP();
  const stop = (sig: NodeJS.Signals): void => on.stop(sig);
  return {
    name: 'signals',
    start: () => {
      proc.on('SIGHUP', hup);
      proc.once('SIGTERM', stop);
      proc.once('SIGINT', stop);
    },
    stop: () => {
      proc.off('SIGHUP', hup);
      proc.off('SIGTERM', stop);
      proc.off('SIGINT', stop);
    },
  };
}
