/**
 * Which local address this computer reaches the gateway from, watched by asking the kernel every 2 s with
 * `ip -j route get <gateway>` (its `prefsrc`): it needs no privilege, and it follows whatever decides the route (DHCP,
 * NetworkManager, a cable pulled). A netlink socket would tell at once, but Node has none without a native addon;
 * two seconds are well inside how long MOBIKE or a reconnect take anyway.
 */
import { EventEmitter } from 'node:events';
import type { SourceWatch } from '../types.js';
import { type CommandRunner, runCommand } from './commands.js';

const POLL_MS = 2000;

/** The source address in `ip -j route get`'s answer; undefined when it names none. */
export function routeSource(json: string): string | undefined {
  let routes: unknown;
  try {
    routes = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!Array.isArray(routes)) return undefined;
  const first: unknown = routes[0];
  if (typeof first !== 'object' || first === null || !('prefsrc' in first)) return undefined;
  return typeof first.prefsrc === 'string' ? first.prefsrc : undefined;
}

export interface RouteWatchOptions {
  intervalMs?: number;
  run?: CommandRunner;
}

/** Emits 'changed' with the new source address; while there is no route at all it waits for one. */
export class RouteWatch extends EventEmitter<{ changed: [string] }> implements SourceWatch {
  private readonly timer: NodeJS.Timeout;
  private readonly run: CommandRunner;
  private polling = false;

  constructor(
    private readonly gateway: string,
    /** The address the connection started from. */
    private source: string,
    options: RouteWatchOptions = {},
  ) {
    super();
    this.run = options.run ?? runCommand;
    this.timer = setInterval(() => void this.poll(), options.intervalMs ?? POLL_MS);
    // watching alone must not keep the process alive
    this.timer.unref();
  }

  /** One look at the route; the timer calls it, tests too. */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      // no route at all ("Network is unreachable") fails the command: nothing to move to yet
      const source = routeSource(await this.run('ip', ['-j', 'route', 'get', this.gateway]).catch(() => ''));
      if (source === undefined || source === this.source) return;
      this.source = source;
      this.emit('changed', source);
    } finally {
      this.polling = false;
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
