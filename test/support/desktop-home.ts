/**
 * A private HOME for a desktop session (dbus-run-session with gnome-keyring), so a test never touches the caller's
 * keyring or configuration.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** Creates the XDG directories under `home` (the runtime one private, as the XDG spec requires). */
export function makeDesktopHome(home: string): void {
  for (const dir of ['data', 'config', 'cache']) mkdirSync(join(home, dir), { recursive: true });
  mkdirSync(join(home, 'runtime'), { mode: 0o700 });
}

/** Only PATH and the private HOME: no display and no bus of the caller's. */
export function desktopHomeEnv(home: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: home,
    XDG_DATA_HOME: join(home, 'data'),
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_CACHE_HOME: join(home, 'cache'),
    XDG_RUNTIME_DIR: join(home, 'runtime'),
  };
}
