/**
 * The Electron main process, kept thin: the app's lifecycle, the tray, the window and the IPC wiring. Everything with
 * logic lives in services/ (tested under Node) and security.ts; the engine runs here, in core's Tunnel.
 *
 * Layout (relative to app.getAppPath(), the asar when packaged, the repository when started with `electron .`):
 * dist/renderer/ (vite; served as app://outpost/), dist/electron/preload.cjs (bundled), assets/ (icons).
 */
import { join } from 'node:path';
import {
  app,
  BrowserWindow,
  ipcMain,
  Menu,
  type NativeImage,
  nativeImage,
  nativeTheme,
  powerMonitor,
  protocol,
  session,
  Tray,
} from 'electron';
import { linuxNetworkHost } from '../core/adapter/linux/host.js';
import { RouteWatch } from '../core/adapter/linux/route-watch.js';
import { helperNetworkHost } from '../core/helper/client.js';
import { DEFAULT_SOCKET } from '../core/helper/server.js';
import { sntpTime } from '../core/net/sntp.js';
import { clockWarning } from '../core/secrets/totp.js';
import { Tunnel } from '../core/tunnel/tunnel.js';
import { eventChannel } from './ipc/channels.js';
import { COMMANDS, type CommandHandlers, type ConnectionStatus, type EventName, type Events } from './ipc/schema.js';
import { serveAppRequest } from './app-protocol.js';
import {
  APP_PAGE_URL,
  APP_SCHEME,
  permissionDecision,
  secureWebPreferences,
  shouldBlockNavigation,
  windowOpenDecision,
  withCsp,
} from './security.js';
import { createAppServices } from './services/app-services.js';
import { loadItSetup } from './services/it-setup.js';
import { forwardPowerEvents } from './services/power-events.js';
import { managedProfilesDir } from './services/profile-store.js';
import { startUpdates } from './services/updates.js';
import { trayIconFiles, trayState, trayVariant } from './tray-icons.js';
import { type TrayAction, trayMenu } from './tray-menu.js';

const root = app.getAppPath();
const rendererDir = join(root, 'dist', 'renderer');
const preloadFile = join(root, 'dist', 'electron', 'preload.cjs');

// before ready: app:// is a standard, secure origin (CSP 'self', fetch of its own files), never file://
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  void start();
}

/**
 * The app runs as the signed-in user: its adapter, routes, DNS and kill switch come from the network service, which
 * keeps one connection for the app's life (root, e.g. in a kiosk, may make the changes itself).
 */
const network = process.getuid?.() === 0 ? linuxNetworkHost() : helperNetworkHost(DEFAULT_SOCKET);

async function start(): Promise<void> {
  await app.whenReady();
  const it = await loadItSetup({ platform: process.platform, managedDir: managedProfilesDir() });
  const { logs, settings, connection, handlers, policy } = createAppServices({
    configDir: app.getPath('userData'),
    it,
    createTunnel: (profile, credentials, { killSwitch, connectTimeoutMs }) =>
      new Tunnel(profile, credentials, network, {
        reconnect: true,
        killSwitch,
        connectTimeoutMs,
        watchSource: (gateway, source) => new RouteWatch(gateway, source),
      }),
    clockWarning: checkClock,
  });

  protocol.handle(APP_SCHEME, (request) => serveAppRequest(request, rendererDir));
  lockDownSessions();
  registerHandlers(handlers);
  void startUpdates(
    { feed: policy.updates, isPackaged: app.isPackaged, platform: process.platform, appImage: process.env.APPIMAGE },
    {
      // loaded only with a feed: electron-updater requires electron when it loads. Its autoUpdater is a getter that
      // Node's ESM import does not see as a named export, so it is read from the CommonJS module itself
      loadUpdater: async () => (await import('electron-updater')).default.autoUpdater,
      log: (line, level) => logs.log(line, level),
    },
  ).catch((error: unknown) => logs.log(`Updates could not start: ${String(error)}`, 'warn'));

  let window: BrowserWindow | undefined;
  let quitting = false;

  const send = <E extends EventName>(event: E, payload: Events[E]) => {
    if (window && !window.isDestroyed()) window.webContents.send(eventChannel(event), payload);
  };

  const showWindow = () => {
    if (!window || window.isDestroyed()) window = createWindow(() => quitting);
    window.show();
    window.focus();
  };

  const actions: Record<TrayAction, () => void> = {
    connect: () => void connectLast(),
    disconnect: () =>
      void handlers['connection:disconnect']().catch((e: unknown) => logs.log(`Disconnect failed: ${String(e)}`)),
    open: showWindow,
    quit: () => void quit(),
  };
  const tray = new Tray(trayImage('disconnected'));
  const refreshTray = (status: ConnectionStatus) => {
    tray.setImage(trayImage(status.state));
    tray.setToolTip(`Outpost VPN: ${status.state}`);
    const items = trayMenu(status, policy).map((item) =>
      'separator' in item
        ? { type: 'separator' as const }
        : { label: item.label, enabled: item.enabled, ...(item.action ? { click: actions[item.action] } : {}) },
    );
    tray.setContextMenu(Menu.buildFromTemplate(items));
  };

  /**
   * Tray Connect and connecting at start: IT's default profile, else the last one, with remembered secrets; when
   * something is missing, the window asks.
   */
  const connectLast = async () => {
    const { defaultProfileId } = await handlers['policy:get']();
    const profileId = defaultProfileId ?? (await settings.get()).lastProfileId;
    if (profileId === undefined) return showWindow();
    await handlers['connection:connect']({ profileId }).catch(() => showWindow());
  };

  /** Quit disconnects first, so the gateway is told and the network settings are restored. */
  const quit = async () => {
    quitting = true;
    await connection.disconnect().catch((error: unknown) => logs.log(`Disconnect at quit failed: ${String(error)}`));
    tray.destroy();
    app.quit();
  };

  connection.on('status', (status) => {
    refreshTray(status);
    send('status', status);
  });
  connection.on('counters', (counters) => send('counters', counters));
  forwardPowerEvents(powerMonitor, connection, (line) => logs.log(line));
  nativeTheme.on('updated', () => refreshTray(connection.status()));
  tray.on('click', showWindow);
  refreshTray(connection.status());

  app.on('second-instance', showWindow);
  app.on('activate', showWindow);
  // the app lives in the tray: closing the last window does not quit it
  app.on('window-all-closed', () => undefined);
  app.on('before-quit', (event) => {
    if (quitting) return;
    event.preventDefault();
    void quit();
  });

  // settings as they apply: IT's always-on turns on starting at login and connecting at start
  const current = await handlers['settings:get']();
  app.setLoginItemSettings({ openAtLogin: current.launchAtLogin });
  if (current.autoConnect) void connectLast();
  else showWindow();
}

function trayImage(state: ConnectionStatus['state']): NativeImage {
  const variant = trayVariant(process.platform, nativeTheme.shouldUseDarkColors);
  const image = nativeImage.createFromPath(join(app.getAppPath(), trayIconFiles(trayState(state), variant).x1));
  if (variant === 'template') image.setTemplateImage(true);
  return image;
}

function registerHandlers(handlers: CommandHandlers): void {
  for (const command of COMMANDS) {
    const handler = handlers[command] as (...args: unknown[]) => Promise<unknown>;
    ipcMain.handle(command, (event, ...args: unknown[]) => {
      // only our own page may call: a frame or page from anywhere else gets nothing
      if (event.senderFrame === null || shouldBlockNavigation(event.senderFrame.url)) {
        throw new Error('Refused: not the Outpost window.');
      }
      return handler(...args);
    });
  }
}

/** The CSP on every response, no permissions, no webviews, for every session's web contents. */
function lockDownSessions(): void {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: withCsp(details.responseHeaders) });
  });
  session.defaultSession.setPermissionRequestHandler((_contents, permission, callback, details) =>
    callback(permissionDecision(permission, details.requestingUrl)),
  );
  session.defaultSession.setPermissionCheckHandler((_contents, permission, requestingOrigin) =>
    permissionDecision(permission, requestingOrigin),
  );
  app.on('web-contents-created', (_event, contents) => {
    contents.setWindowOpenHandler(windowOpenDecision);
    contents.on('will-navigate', (event, url) => {
      if (shouldBlockNavigation(url)) event.preventDefault();
    });
    contents.on('will-redirect', (event, url) => {
      if (shouldBlockNavigation(url)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
}

function createWindow(quitting: () => boolean): BrowserWindow {
  const window = new BrowserWindow({
    width: 420,
    height: 640,
    show: false,
    title: 'Outpost VPN',
    icon: join(app.getAppPath(), 'assets', 'icon.png'),
    webPreferences: secureWebPreferences(preloadFile, { devTools: !app.isPackaged }),
  });
  window.removeMenu();
  // closing hides to the tray; only Quit ends the app
  window.on('close', (event) => {
    if (quitting()) return;
    event.preventDefault();
    window.hide();
  });
  void window.loadURL(APP_PAGE_URL);
  return window;
}

/** Public time servers; asked only while the two-step screen shows a code, before any tunnel exists. */
const TIME_SERVER = 'pool.ntp.org';

/** No answer from the time server means no warning: the check must never block showing the code. */
async function checkClock(period: number): Promise<string | undefined> {
  try {
    return clockWarning(Date.now(), await sntpTime(TIME_SERVER), period);
  } catch {
    return undefined;
  }
}
