/**
 * The one composition root of the main process: the profile and settings stores in the config directory, the OS
 * keychain, the connection service driving core's Tunnel (with the network host given and a RouteWatch), the log in
 * memory and on disk, the problem report, and starting at login, behind the command handlers. The app (main.ts) and
 * the e2e gateway bridge (test/e2e/gateway-bridge.ts) both run exactly this; only the edges are passed in.
 */
import { arch, release, type as osType } from 'node:os';
import type { NetworkHost } from '../../core/adapter/types.js';
import { RouteWatch } from '../../core/adapter/linux/route-watch.js';
import type { Policy } from '../../core/policy/schema.js';
import { keytarStore } from '../../core/secrets/keychain.js';
import { Tunnel } from '../../core/tunnel/tunnel.js';
import { VERSION } from '../../core/version.js';
import type { CommandHandlers, ConnectionStatus, Settings } from '../ipc/schema.js';
import { ConnectionService, type TunnelFactory } from './connection-service.js';
import { createHandlers, type HandlerDeps } from './handlers.js';
import type { ItSetup } from './it-setup.js';
import { LogBuffer } from './log-buffer.js';
import { RotatingLogFile } from './log-file.js';
import { type Notifier, StatusNotifications } from './notifications.js';
import { effectiveSettings } from './policy-rules.js';
import { type ProblemReportInput, problemReport, problemReportFileName } from './problem-report.js';
import { ProfileStore } from './profile-store.js';
import type { QrImageReader } from './qr-image.js';
import { DEFAULT_NOTIFICATIONS, SettingsStore } from './settings-store.js';
import { toFailure } from './ui-error.js';

export interface Services {
  logs: LogBuffer;
  /** The log on disk, when a logs folder was given. */
  logFile: RotatingLogFile | undefined;
  settings: SettingsStore;
  connection: ConnectionService;
  handlers: CommandHandlers;
  /** IT's policy, for what main decides itself: always-on, the tray menu and the updater's feed. */
  policy: Policy;
  /** Reads the settings as they apply (IT's policy included) and applies what lives outside the app: autostart. */
  applySettings(): Promise<Settings>;
  /** Desktop notifications from status changes; main also reports auth prompts of connects nobody watched. */
  notifications: StatusNotifications;
}

export interface ServicesOptions {
  configDir: string;
  /** IT's policy and trusted profile folder (loadItSetup), whose profiles are shown read-only. */
  it: ItSetup;
  /** Where adapters, routes, DNS and the kill switch are changed: the root helper's client, or the host itself. */
  network: NetworkHost;
  /** The rotating log file's folder (app.getPath('logs')); none: memory only. */
  logsDir?: string;
  /** Overrides the connection service's connect timeout (tests want a failure sooner). */
  connectTimeoutMs?: number;
  clockWarning?: HandlerDeps['clockWarning'];
  /** Told of every status change. */
  onStatus?: (status: ConnectionStatus) => void;
  /** Shows desktop notifications (Electron's Notification in the app); without one, none are shown. */
  notifier?: Notifier;
  /** The clipboard and the screen for QR enrollment; absent where there is no desktop (the test bridge). */
  qrImages?: QrImageReader;
  /** Turns starting at login on or off (autostart.ts); called at applySettings and whenever a settings change lands. */
  autostart?: (enabled: boolean) => Promise<void>;
  /** Asks where to save the problem report and writes it; undefined when the user cancelled. */
  saveReport?: (fileName: string, text: string) => Promise<string | undefined>;
  /** The Electron and Chromium versions (process.versions has them in Electron). */
  versions?: Partial<ProblemReportInput['versions']>;
  clock?: () => number;
}

function tunnelFactory(network: NetworkHost, connectTimeoutMs: number | undefined): TunnelFactory {
  return (profile, credentials, options) =>
    new Tunnel(profile, credentials, network, {
      reconnect: true,
      killSwitch: options.killSwitch,
      connectTimeoutMs: connectTimeoutMs ?? options.connectTimeoutMs,
      // a path that changes under the tunnel (Wi-Fi to cable, a new default route) makes it re-check at once
      watchSource: (gateway, source) => new RouteWatch(gateway, source),
    });
}

export function createServices(options: ServicesOptions): Services {
  const { configDir, it, clockWarning, qrImages } = options;
  const clock = options.clock ?? Date.now;
  const { policy, managedDir } = it;
  const logs = new LogBuffer();
  const logFile = options.logsDir === undefined ? undefined : new RotatingLogFile(options.logsDir);
  if (logFile) logs.onLine((line) => logFile.append(line));
  logs.setLevel(policy.logLevel);
  if (it.source !== undefined) logs.log(`Policy from ${it.source}`);
  for (const warning of it.warnings) logs.log(warning, 'warn');
  const secrets = keytarStore();
  const profiles = new ProfileStore({
    configDir,
    managedDir,
    secrets,
    policy,
    onSkipped: (file, reason) => logs.log(`Profile ${file} left out: ${reason}`, 'warn'),
  });
  const settings = new SettingsStore(configDir);
  const killSwitch = async () => (await settings.get()).killSwitch;
  const createTunnel = tunnelFactory(options.network, options.connectTimeoutMs);
  const connection = new ConnectionService({ profiles, secrets, logs, createTunnel, killSwitch, policy });
  if (options.onStatus) connection.on('status', options.onStatus);
  const base = createHandlers({ profiles, settings, secrets, connection, logs, policy, clockWarning, qrImages });
  const notifications = new StatusNotifications({
    notifier: options.notifier ?? { show: () => undefined },
    switches: async () => effectiveSettings(await settings.get(), policy).notifications ?? { ...DEFAULT_NOTIFICATIONS },
    onError: (error) => logs.log(`Notification failed: ${String(error)}`, 'warn'),
  });
  connection.on('status', (status) => void notifications.status(status));

  const applyAutostart = async (applied: Settings) => {
    await options.autostart?.(applied.launchAtLogin).catch((error: unknown) => {
      logs.log(
        `Starting at login could not be ${applied.launchAtLogin ? 'set up' : 'removed'}: ${String(error)}`,
        'warn',
      );
    });
  };

  /** The log as saved and reported: the file (earlier runs too) when there is one, redacted once more. */
  const fullLog = async () => (logFile ? logs.redact(await logFile.read()) : logs.export());

  const createReport = async () => {
    const text = problemReport(
      {
        createdAt: clock(),
        versions: {
          app: VERSION,
          core: VERSION,
          electron: process.versions.electron ?? 'none (Node)',
          chrome: process.versions.chrome ?? 'none',
          node: process.versions.node,
          os: `${osType()} ${release()} ${arch()}`,
          ...options.versions,
        },
        status: connection.status(),
        settings: await base['settings:get'](),
        problems: logs.problems(),
        log: await fullLog(),
      },
      (t) => logs.redact(t),
    );
    const path = await options.saveReport?.(problemReportFileName(clock()), text);
    if (path === undefined) return { saved: false } as const;
    logs.log(`Problem report saved to ${path}`);
    return { saved: true, path } as const;
  };

  const handlers: CommandHandlers = {
    ...base,
    'settings:set': async (change) => {
      const applied = await base['settings:set'](change);
      await applyAutostart(applied);
      return applied;
    },
    'logs:export': fullLog,
    'report:create': async () => {
      try {
        return await createReport();
      } catch (error) {
        throw toFailure(error);
      }
    },
  };

  const applySettings = async () => {
    const applied = await base['settings:get']();
    await applyAutostart(applied);
    return applied;
  };
  return { logs, logFile, settings, connection, handlers, policy, applySettings, notifications };
}
