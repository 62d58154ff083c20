/**
 * The main process's services wired together: the profile and settings stores in the config directory, the OS
 * keychain, the connection service and the log, behind the command handlers. The app (main.ts) and the e2e gateway
 * bridge (test/e2e/gateway-bridge.ts) both run exactly this.
 */
import type { Policy } from '../../core/policy/schema.js';
import { keytarStore } from '../../core/secrets/keychain.js';
import type { CommandHandlers } from '../ipc/schema.js';
import { ConnectionService, type TunnelFactory } from './connection-service.js';
import { createHandlers, type HandlerDeps } from './handlers.js';
import type { ItSetup } from './it-setup.js';
import { LogBuffer } from './log-buffer.js';
import { type Notifier, StatusNotifications } from './notifications.js';
import { effectiveSettings } from './policy-rules.js';
import { ProfileStore } from './profile-store.js';
import type { QrImageReader } from './qr-image.js';
import { DEFAULT_NOTIFICATIONS, SettingsStore } from './settings-store.js';

export interface AppServices {
  logs: LogBuffer;
  settings: SettingsStore;
  connection: ConnectionService;
  handlers: CommandHandlers;
  /** IT's policy, for what main decides itself: always-on, the tray menu and the updater's feed. */
  policy: Policy;
  /** Desktop notifications from status changes; main also reports auth prompts of connects nobody watched. */
  notifications: StatusNotifications;
}

export function createAppServices(options: {
  configDir: string;
  /** IT's policy and trusted profile folder (loadItSetup), whose profiles are shown read-only. */
  it: ItSetup;
  createTunnel: TunnelFactory;
  clockWarning?: HandlerDeps['clockWarning'];
  /** Shows desktop notifications (Electron's Notification in the app); without one, none are shown. */
  notifier?: Notifier;
  qrImages?: QrImageReader;
}): AppServices {
  const { configDir, it, createTunnel, clockWarning, qrImages } = options;
  const { policy, managedDir } = it;
  const logs = new LogBuffer();
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
  const connection = new ConnectionService({ profiles, secrets, logs, createTunnel, killSwitch, policy });
  const handlers = createHandlers({ profiles, settings, secrets, connection, logs, policy, clockWarning, qrImages });
  const notifications = new StatusNotifications({
    notifier: options.notifier ?? { show: () => undefined },
    switches: async () => effectiveSettings(await settings.get(), policy).notifications ?? { ...DEFAULT_NOTIFICATIONS },
    onError: (error) => logs.log(`Notification failed: ${String(error)}`, 'warn'),
  });
  connection.on('status', (status) => void notifications.status(status));
  return { logs, settings, connection, handlers, policy, notifications };
}
