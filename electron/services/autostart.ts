/**
 * Starting at login, in the tray. Linux has no login-item API in Electron: an XDG autostart entry
 * ($XDG_CONFIG_HOME/autostart, else ~/.config/autostart) is written or removed. macOS and Windows use Electron's
 * login items. Either way a start at login carries HIDDEN_ARG (or, on macOS, reports wasOpenedAtLogin) and stays in
 * the tray.
 */
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The argument a start at login carries: no window, only the tray icon. */
export const HIDDEN_ARG = '--hidden';

export const AUTOSTART_FILE = 'outpost-vpn.desktop';

/** The part of Electron's app this uses (setLoginItemSettings as of Electron 45). */
export interface LoginItems {
  setLoginItemSettings(settings: { openAtLogin: boolean; args?: string[] }): void;
}

export interface AutostartOptions {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
  homeDir: string;
  /** The command that starts the app: the packaged executable (or the AppImage), or electron and the app folder. */
  command: readonly string[];
  loginItems: LoginItems;
}

export function autostartDir(env: NodeJS.ProcessEnv, homeDir: string): string {
  // the spec says a relative XDG_CONFIG_HOME is invalid and must be ignored
  const configHome = env.XDG_CONFIG_HOME?.startsWith('/') ? env.XDG_CONFIG_HOME : join(homeDir, '.config');
  return join(configHome, 'autostart');
}

/** One Exec argument quoted as the Desktop Entry spec asks: reserved characters in double quotes, `%` doubled. */
export function quoteExecArg(arg: string): string {
  const escaped = arg.replaceAll('%', '%%');
  if (escaped !== '' && !/[\s"'\\><~|&;$*?#()`]/.test(escaped)) return escaped;
  return `"${escaped.replace(/["`$\\]/g, '\\$&')}"`;
}

export function autostartDesktopEntry(command: readonly string[]): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Outpost VPN',
    'Comment=Outpost VPN in the tray, started at login',
    `Exec=${[...command, HIDDEN_ARG].map(quoteExecArg).join(' ')}`,
    'Icon=outpost-vpn',
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** Turns starting at login on or off; idempotent, so it runs at every start and every settings change. */
export async function applyAutostart(enabled: boolean, options: AutostartOptions): Promise<void> {
  if (options.platform !== 'linux') {
    options.loginItems.setLoginItemSettings({ openAtLogin: enabled, args: [HIDDEN_ARG] });
    return;
  }
  const dir = autostartDir(options.env, options.homeDir);
  const file = join(dir, AUTOSTART_FILE);
  if (!enabled) {
    await rm(file, { force: true });
    return;
  }
  await mkdir(dir, { recursive: true });
  // written beside and renamed, so a session starting meanwhile never reads half an entry
  const partial = `${file}.${process.pid}.tmp`;
  await writeFile(partial, autostartDesktopEntry(options.command), { mode: 0o644 });
  await rename(partial, file);
}

/** Whether this start came from the login: our argument, or macOS's own flag for its login items. */
export function startedAtLogin(argv: readonly string[], macOpenedAtLogin = false): boolean {
  return argv.includes(HIDDEN_ARG) || macOpenedAtLogin;
}

/**
 * What a start shows: at login only the tray (connecting if asked); otherwise the window, unless the app connects by
 * itself to a profile it knows, when the tray icon says enough.
 */
export function windowAtStart(start: { atLogin: boolean; autoConnect: boolean; hasProfile: boolean }): 'show' | 'tray' {
  if (start.atLogin) return 'tray';
  return start.autoConnect && start.hasProfile ? 'tray' : 'show';
}

/**
 * The command a login starts: the AppImage when run as one (its mount path changes each run), the packaged
 * executable, or, unpacked (`electron .`), Electron with the app folder.
 */
export function launchCommand(app: {
  isPackaged: boolean;
  execPath: string;
  appPath: string;
  appImage?: string;
}): string[] {
  if (app.appImage !== undefined && app.appImage !== '') return [app.appImage];
  return app.isPackaged ? [app.execPath] : [app.execPath, app.appPath];
}
