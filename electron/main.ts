/**
 * The Electron main process, kept thin: the app's lifecycle, the tray and its window, the app:// protocol and the
 * IPC wiring. Everything with logic lives in services/ (tested under Node), security.ts, app-protocol.ts and
 * tray-window-position.ts; the engine runs here, in core's Tunnel, built by services/create-services.ts.
 *
 * Layout (relative to app.getAppPath(), the asar when packaged, the repository when started with `electron .`):
 * dist/renderer/ (vite; served as app://outpost/), dist/electron/preload.cjs (bundled), assets/ (icons).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  app,
  BrowserWindow,
  clipboard,
  desktopCapturer,
  dialog,
  ipcMain,
  Menu,
  type NativeImage,
  Notification,
  nativeImage,
  nativeTheme,
  powerMonitor,
  protocol,
  type Rectangle,
  screen,
  session,
  Tray,
} from 'electron';
import { linuxNetworkHost } from '../core/adapter/linux/host.js';
import { helperNetworkHost } from '../core/helper/client.js';
import { DEFAULT_SOCKET } from '../core/helper/server.js';
import { sntpTime } from '../core/net/sntp.js';
import { clockWarning } from '../core/secrets/totp.js';
import { serveAppRequest } from './app-protocol.js';
import { eventChannel } from './ipc/channels.js';
import { COMMANDS, type CommandHandlers, type ConnectionStatus, type EventName, type Events } from './ipc/schema.js';
import {
  APP_PAGE_URL,
  APP_SCHEME,
  permissionDecision,
  secureWebPreferences,
  shouldBlockNavigation,
  windowOpenDecision,
  withCsp,
} from './security.js';
import { applyAutostart, launchCommand, startedAtLogin, windowAtStart } from './services/autostart.js';
import { createServices } from './services/create-services.js';
import { loadItSetup } from './services/it-setup.js';
import { createEnding, forwardLifecycleEvents } from './services/lifecycle.js';
import { type Notifier, WINDOWS_APP_USER_MODEL_ID } from './services/notifications.js';
import { managedProfilesDir } from './services/profile-store.js';
import { electronQrImageReader } from './services/qr-image.js';
import { toUiError } from './services/ui-error.js';
import { startUpdates } from './services/updates.js';
import { trayIconFiles, trayState, trayVariant } from './tray-icons.js';
import { type TrayAction, trayMenu, trayTooltip } from './tray-menu.js';
import { trayWindowPosition } from './tray-window-position.js';

const root = app.getAppPath();
const rendererDir = join(root, 'dist', 'renderer');
const preloadFile = join(root, 'dist', 'electron', 'preload.cjs');
/** The tray window: a compact panel, as macOS and Windows tray apps open. */
const WINDOW_SIZE = { width: 360, height: 560 };
const TRAY_CLICK_AFTER_BLUR_MS = 300;

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
  // a tray app: no menu bar, no Dock icon (LSUIElement covers the packaged app; this the unpacked one)
  Menu.setApplicationMenu(null);
  app.dock?.hide();
  protocol.handle(APP_SCHEME, (request) => serveAppRequest(request, rendererDir));
  lockDownSessions();

  let window: BrowserWindow | undefined;
  /** A native dialog over the window takes its focus: the window must not hide under it. */
  let dialogOpen = false;
  /**
   * When blur hid the window: a click on the tray icon blurs the window before the click arrives, and that click
   * must not open it again at once.
   */
  let hiddenByBlurAt = 0;

  /** The screen is looked at only after the person agrees, each time (the window stays open under the dialog). */
  const confirmScreenScan = async () => {
    dialogOpen = true;
    try {
      const options = {
        type: 'question' as const,
        buttons: ['Scan screen', 'Cancel'],
        defaultId: 0,
        cancelId: 1,
        message: 'Look for the QR code on your screen?',
        detail:
          'Show the QR code from IT on your main screen first. Outpost takes one picture of it, reads the code and keeps nothing else.',
      };
      const target = window && !window.isDestroyed() ? window : undefined;
      const { response } = target ? await dialog.showMessageBox(target, options) : await dialog.showMessageBox(options);
      return response === 0;
    } finally {
      dialogOpen = false;
    }
  };

  const it = await loadItSetup({ platform: process.platform, managedDir: managedProfilesDir() });
  const { logs, connection, handlers, policy, applySettings, notifications } = createServices({
    configDir: app.getPath('userData'),
    logsDir: app.getPath('logs'),
    it,
    network,
    clockWarning: checkClock,
    notifier: desktopNotifier(),
    qrImages: electronQrImageReader({ clipboard, desktopCapturer, screen, confirmScreenScan }),
    versions: { electron: process.versions.electron, chrome: process.versions.chrome },
    autostart: (enabled) =>
      applyAutostart(enabled, {
        platform: process.platform,
        env: process.env,
        homeDir: app.getPath('home'),
        command: launchCommand({
          isPackaged: app.isPackaged,
          execPath: process.execPath,
          appPath: root,
          ...(process.env.APPIMAGE === undefined ? {} : { appImage: process.env.APPIMAGE }),
        }),
        loginItems: app,
      }),
    saveReport: async (fileName, text) => {
      dialogOpen = true;
      try {
        const options = {
          title: 'Save problem report',
          defaultPath: join(app.getPath('documents'), fileName),
          filters: [{ name: 'Text', extensions: ['txt'] }],
        };
        const target = window && !window.isDestroyed() ? window : undefined;
        const { canceled, filePath } = target
          ? await dialog.showSaveDialog(target, options)
          : await dialog.showSaveDialog(options);
        if (canceled || !filePath) return undefined;
        await writeFile(filePath, text, { mode: 0o600 });
        return filePath;
      } finally {
        dialogOpen = false;
      }
    },
  });
  logs.log(`Outpost VPN ${app.getVersion()} started (Electron ${process.versions.electron})`);

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

  const tray = new Tray(trayImage('disconnected'));
  const ending = createEnding({
    connection,
    exit: () => {
      tray.destroy();
      app.quit();
    },
    log: (line, level) => logs.log(line, level),
  });

  const send = <E extends EventName>(event: E, payload: Events[E]) => {
    if (window && !window.isDestroyed()) window.webContents.send(eventChannel(event), payload);
  };

  const createWindow = (): BrowserWindow => {
    const created = new BrowserWindow({
      ...WINDOW_SIZE,
      show: false,
      frame: false,
      resizable: false,
      maximizable: false,
      minimizable: false,
      fullscreenable: false,
      skipTaskbar: true,
      title: 'Outpost VPN',
      icon: join(root, 'assets', 'icon.png'),
      webPreferences: secureWebPreferences(preloadFile, { devTools: !app.isPackaged }),
    });
    // a tray panel goes away when the user clicks elsewhere, but not while the inspector or a dialog has the focus
    created.on('blur', () => {
      if (dialogOpen || created.webContents.isDevToolsOpened()) return;
      hiddenByBlurAt = Date.now();
      created.hide();
    });
    // closing hides to the tray; only Quit ends the app
    created.on('close', (event) => {
      if (ending.ending) return;
      event.preventDefault();
      created.hide();
    });
    void created.loadURL(APP_PAGE_URL);
    return created;
  };

  const showWindow = () => {
    if (!window || window.isDestroyed()) window = createWindow();
    const bounds = tray.getBounds();
    const anchor: Rectangle = bounds.width > 0 ? bounds : { ...screen.getCursorScreenPoint(), width: 0, height: 0 };
    const { workArea } = screen.getDisplayMatching(anchor);
    const { x, y } = trayWindowPosition(bounds, workArea, WINDOW_SIZE);
    window.setPosition(x, y);
    window.show();
    window.focus();
  };
  const toggleWindow = () => {
    if (window?.isVisible()) window.hide();
    else if (Date.now() - hiddenByBlurAt > TRAY_CLICK_AFTER_BLUR_MS) showWindow();
  };

  const actions: Record<TrayAction, () => void> = {
    connect: () => void connectAtStart(true),
    disconnect: () =>
      void handlers['connection:disconnect']().catch((e: unknown) => logs.log(`Disconnect failed: ${String(e)}`)),
    open: showWindow,
    quit: () => void ending.end('quit'),
  };
  const refreshTray = async (status: ConnectionStatus) => {
    tray.setImage(trayImage(status.state));
    const profiles = await handlers['profiles:list']().catch(() => []);
    tray.setToolTip(trayTooltip(status, profiles.find((p) => p.id === status.profileId)?.name));
    const items = trayMenu(status, policy).map((item) =>
      'separator' in item
        ? { type: 'separator' as const }
        : { label: item.label, enabled: item.enabled, ...(item.action ? { click: actions[item.action] } : {}) },
    );
    tray.setContextMenu(Menu.buildFromTemplate(items));
  };

  /** IT's default profile, else the last one used. */
  const startProfile = async () =>
    (await handlers['policy:get']()).defaultProfileId ?? (await handlers['settings:get']()).lastProfileId;

  /** Tray Connect and connecting at start, with remembered secrets; when something is missing, the window asks. */
  const connectAtStart = async (askInWindow: boolean) => {
    const profileId = await startProfile();
    if (profileId === undefined) return askInWindow ? showWindow() : undefined;
    await handlers['connection:connect']({ profileId }).catch((error: unknown) => {
      // a connect nobody watched that needs a code or a password says so; the window asks for it
      void notifications.authPrompt(toUiError(error));
      showWindow();
    });
  };

  connection.on('status', (status) => {
    void refreshTray(status);
    send('status', status);
  });
  connection.on('counters', (counters) => send('counters', counters));
  forwardLifecycleEvents({ power: powerMonitor, session: app, connection, ending, log: (line) => logs.log(line) });
  nativeTheme.on('updated', () => void refreshTray(connection.status()));
  tray.on('click', toggleWindow);
  void refreshTray(connection.status());

  app.on('second-instance', showWindow);
  app.on('activate', showWindow);
  // the app lives in the tray: closing the last window does not quit it
  app.on('window-all-closed', () => undefined);
  // Quit from anywhere (the menu, Cmd+Q, the OS) disconnects first, for a bounded time, then quits
  app.on('before-quit', (event) => {
    if (ending.ending) return;
    event.preventDefault();
    void ending.end('quit');
  });

  // settings as they apply (IT's always-on turns on starting at login and connecting at start); a start at login
  // stays in the tray
  const applied = await applySettings();
  const atLogin = startedAtLogin(
    process.argv,
    process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin,
  );
  const hasProfile = (await startProfile()) !== undefined;
  if (applied.autoConnect) void connectAtStart(!atLogin);
  if (windowAtStart({ atLogin, autoConnect: applied.autoConnect, hasProfile }) === 'show') showWindow();
}

function trayImage(state: ConnectionStatus['state']): NativeImage {
  const variant = trayVariant(process.platform, nativeTheme.shouldUseDarkColors);
  const image = nativeImage.createFromPath(join(root, trayIconFiles(trayState(state), variant).x1));
  if (variant === 'template') image.setTemplateImage(true);
  return image;
}

function registerHandlers(handlers: CommandHandlers): void {
  for (const command of COMMANDS) {
    const handler = handlers[command] as (...args: unknown[]) => Promise<unknown>;
    ipcMain.handle(command, (event, ...args: unknown[]) => {
      // only our own page (app://outpost/index.html) may call: a frame or page from anywhere else gets nothing
      if (event.senderFrame === null || shouldBlockNavigation(event.senderFrame.url)) {
        throw new Error('Refused: not the Outpost window.');
      }
      return handler(...args);
    });
  }
}

/**
 * The CSP on every response (app:// carries it itself), only clipboard-sanitized-write for our page, no navigation,
 * no new windows, no webviews, for every web contents.
 */
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

/** Electron's notifications, where the desktop has a notification service (on Linux: libnotify). */
function desktopNotifier(): Notifier {
  if (process.platform === 'win32') app.setAppUserModelId(WINDOWS_APP_USER_MODEL_ID);
  const icon = join(app.getAppPath(), 'assets', 'icon.png');
  return {
    show: ({ title, body }) => {
      if (Notification.isSupported()) new Notification({ title, body, icon }).show();
    },
  };
}
