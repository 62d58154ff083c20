/**
 * What the operating system says about sleep and the screen lock, as the tunnel needs to hear it. A laptop that
 * resumes has a tunnel whose gateway may have forgotten it, on a network that may be another: the tunnel checks
 * at once instead of at its next timer. Going to sleep needs nothing: the clocks tell the tunnel afterwards too.
 */

/** Electron's powerMonitor events this app listens to, each with what the log says and whether the tunnel wakes. */
export const POWER_EVENTS = {
  suspend: { log: 'The computer is going to sleep.', wake: false },
  resume: { log: 'The computer woke up.', wake: true },
  'lock-screen': { log: 'The screen was locked.', wake: false },
  // after a long lock the network may have changed under the tunnel (Wi-Fi left, cable pulled)
  'unlock-screen': { log: 'The screen was unlocked.', wake: true },
} as const;

export type PowerEvent = keyof typeof POWER_EVENTS;

/** The parts of Electron's powerMonitor and of the connection service this uses. */
export interface PowerSource {
  on(event: PowerEvent, listener: () => void): unknown;
}
export interface Wakeable {
  wake(reason: string): void;
}

export function forwardPowerEvents(source: PowerSource, connection: Wakeable, log: (line: string) => void): void {
  for (const [event, { log: line, wake }] of Object.entries(POWER_EVENTS) as Array<
    [PowerEvent, (typeof POWER_EVENTS)[PowerEvent]]
  >) {
    source.on(event, () => (wake ? connection.wake(line) : log(line)));
  }
}
