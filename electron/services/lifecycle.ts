/**
 * The app's life as the operating system sees it: sleep and wake, the screen lock, shutdown, log off and Quit.
 *
 * A laptop that resumes has a tunnel whose gateway may have forgotten it, on a network that may be another: the
 * tunnel checks at once instead of at its next timer (network changes while awake reach it through its RouteWatch).
 * Going to sleep needs nothing: the clocks tell the tunnel afterwards too.
 *
 * Shutdown, log off and Quit disconnect first, so the gateway hears a DELETE and the network service restores routes
 * and DNS, but each only for a bounded time: the OS kills an app that holds up its shutdown (logind's default
 * InhibitDelayMaxSec is 5 s; Windows gives about 5 s after WM_QUERYENDSESSION), and a gateway that does not answer
 * must not keep Quit from quitting (the network service restores routes and DNS when the app's socket closes).
 */

/** Electron's powerMonitor events that only log or wake the tunnel. */
export const POWER_EVENTS = {
  suspend: { log: 'The computer is going to sleep.', wake: false },
  resume: { log: 'The computer woke up.', wake: true },
  'lock-screen': { log: 'The screen was locked.', wake: false },
  // after a long lock the network may have changed under the tunnel (Wi-Fi left, cable pulled)
  'unlock-screen': { log: 'The screen was unlocked.', wake: true },
} as const;

export type PowerEvent = keyof typeof POWER_EVENTS;

/** How long a disconnect may hold up the end: under the OS's limit at shutdown, a few seconds at Quit. */
export const DISCONNECT_LIMIT_MS = { shutdown: 3_000, quit: 5_000 } as const;

export type EndReason = 'quit' | 'shutdown' | 'log-off';

/**
 * Electron's powerMonitor and app as event emitters. (Electron 45's typings give powerMonitor's 'shutdown' listener
 * no argument although it receives the event whose preventDefault delays the shutdown, so the listeners here are
 * typed loosely and the event is checked before use.)
 */
type Preventable = { preventDefault(): void } | undefined;
export interface EventSource {
  on(event: string, listener: (event: Preventable) => void): unknown;
}
export interface Wakeable {
  wake(reason: string): void;
}
export interface Disconnectable {
  disconnect(): Promise<void>;
}

export type DisconnectOutcome = 'disconnected' | 'timed-out' | 'failed';

/** The disconnect, or its time running out: whichever comes first. A failure is an outcome too, never a throw. */
export async function disconnectWithin(connection: Disconnectable, ms: number): Promise<DisconnectOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<DisconnectOutcome>((resolve) => {
    timer = setTimeout(() => resolve('timed-out'), ms);
  });
  const done = connection.disconnect().then(
    (): DisconnectOutcome => 'disconnected',
    (): DisconnectOutcome => 'failed',
  );
  try {
    return await Promise.race([done, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export interface Ending {
  /** Disconnects (bounded), then calls exit once, however many times and for whatever reasons it is asked. */
  end(reason: EndReason): Promise<void>;
  /** True from the first end() on: the window's close and before-quit let the app go. */
  readonly ending: boolean;
}

export function createEnding(deps: {
  connection: Disconnectable;
  exit: () => void;
  log: (line: string, level?: 'info' | 'warn') => void;
}): Ending {
  let running: Promise<void> | undefined;
  return {
    get ending() {
      return running !== undefined;
    },
    end(reason) {
      running ??= (async () => {
        const limit = reason === 'quit' ? DISCONNECT_LIMIT_MS.quit : DISCONNECT_LIMIT_MS.shutdown;
        deps.log(`Ending (${reason}): disconnecting first, for at most ${limit} ms.`);
        const outcome = await disconnectWithin(deps.connection, limit);
        if (outcome !== 'disconnected') deps.log(`Disconnect before ending ${outcome}; ending anyway.`, 'warn');
        deps.exit();
      })();
      return running;
    },
  };
}

/**
 * Sleep and lock are logged, wake and unlock wake the tunnel; shutdown (macOS, Linux: delayed with preventDefault,
 * as Electron asks, until the app quits) and Windows log off end the app after a bounded disconnect.
 */
export function forwardLifecycleEvents(deps: {
  power: EventSource;
  session: EventSource;
  connection: Wakeable;
  ending: Ending;
  log: (line: string) => void;
}): void {
  const { power, session, connection, ending, log } = deps;
  for (const [event, { log: line, wake }] of Object.entries(POWER_EVENTS) as Array<
    [PowerEvent, (typeof POWER_EVENTS)[PowerEvent]]
  >) {
    power.on(event, () => (wake ? connection.wake(line) : log(line)));
  }
  power.on('shutdown', (event: Preventable) => {
    event?.preventDefault();
    void ending.end('shutdown');
  });
  // Windows: the handler cannot delay the log off; the disconnect starts at once and the app quits when it ends
  session.on('session-end', () => void ending.end('log-off'));
}
