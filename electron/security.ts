/**
 * The renderer's security settings in one place, as plain values and pure decisions so a Node test can check them:
 * an isolated, sandboxed renderer without Node, a strict Content-Security-Policy, and no way to navigate away from
 * the app's own page or open another window. (Electron removed the remote module in v14: there is nothing to disable.)
 */
import type { WebPreferences } from 'electron';

export function secureWebPreferences(preloadPath: string, options: { devTools: boolean }): WebPreferences {
  return {
    preload: preloadPath,
    // only an unpacked (developer) build opens the inspector
    devTools: options.devTools,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
  };
}

/** The renderer's origin: its files are served by the app:// protocol handler (app-protocol.ts), never file://. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'outpost';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_PAGE_URL = `${APP_ORIGIN}/index.html`;

/** True for our own origin (app://outpost), given a URL or an origin string. */
export function isAppOrigin(urlOrOrigin: string): boolean {
  try {
    const url = new URL(urlOrOrigin);
    return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST;
  } catch {
    return false;
  }
}

/** Only the app's own files: no inline or eval'd script, no remote content, no plug-ins, no framing. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "frame-src 'none'",
  "worker-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The page itself (app://outpost/index.html) may reload or change its #fragment; every other URL is refused. */
export function isAppPage(url: string): boolean {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return false;
  }
  const page = new URL(APP_PAGE_URL);
  return target.protocol === page.protocol && target.host === page.host && target.pathname === page.pathname;
}

/** For 'will-navigate' / 'will-redirect' and the IPC sender check: true when the URL is not our page. */
export function shouldBlockNavigation(url: string): boolean {
  return !isAppPage(url);
}

/** For setWindowOpenHandler: the app never opens a second window, whatever the URL. */
export function windowOpenDecision(): { action: 'deny' } {
  return { action: 'deny' };
}

/**
 * The one permission the app uses: writing sanitized text to the clipboard ("Copy details"), and only for our own
 * page. Camera, notifications, geolocation, reading the clipboard… are refused, as is everything for any other origin.
 */
export const ALLOWED_PERMISSIONS: readonly string[] = ['clipboard-sanitized-write'];

/** For setPermissionRequestHandler (the requesting URL) and setPermissionCheckHandler (the requesting origin). */
export function permissionDecision(permission: string, requestingUrlOrOrigin: string): boolean {
  return ALLOWED_PERMISSIONS.includes(permission) && isAppOrigin(requestingUrlOrOrigin);
}

/** The response headers with our CSP set, replacing whatever a file or server said. */
export function withCsp(headers: Record<string, string[]> | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() !== 'content-security-policy') out[name] = value;
  }
  out['Content-Security-Policy'] = [CONTENT_SECURITY_POLICY];
  return out;
}
