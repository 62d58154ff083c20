/**
 * The renderer's security settings in one place, as plain values and pure decisions so a Node test can check them:
 * an isolated, sandboxed renderer without Node, a strict Content-Security-Policy, and no way to navigate away from
 * the app's own page or open another window. (Electron removed the remote module in v14: there is nothing to disable.)
 */
import type { WebPreferences } from 'electron';

export function secureWebPreferences(preloadPath: string): WebPreferences {
  return {
    preload: preloadPath,
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

/** The page itself may reload or change its #fragment; every other URL is refused. */
export function isAppPage(url: string, appPageUrl: string): boolean {
  let target: URL;
  let app: URL;
  try {
    target = new URL(url);
    app = new URL(appPageUrl);
  } catch {
    return false;
  }
  return (
    target.protocol === 'file:' &&
    app.protocol === 'file:' &&
    target.host === app.host &&
    target.pathname === app.pathname
  );
}

/** For 'will-navigate' / 'will-redirect': true when the navigation must be prevented. */
export function shouldBlockNavigation(url: string, appPageUrl: string): boolean {
  return !isAppPage(url, appPageUrl);
}

/** For setWindowOpenHandler: the app never opens a second window, whatever the URL. */
export function windowOpenDecision(): { action: 'deny' } {
  return { action: 'deny' };
}

/** For setPermissionRequestHandler / setPermissionCheckHandler: camera, notifications, geolocation… all refused. */
export function permissionDecision(): boolean {
  return false;
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
