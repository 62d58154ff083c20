/**
 * The main process's services wired together: the profile and settings stores in the config directory, the OS
 * keychain, the connection service and the log, behind the command handlers. The app (main.ts) and the e2e gateway
 * bridge (test/e2e/gateway-bridge.ts) both run exactly this.
 */
import { keytarStore } from '../../core/secrets/keychain.js';
import type { CommandHandlers } from '../ipc/schema.js';
import { ConnectionService, type TunnelFactory } from './connection-service.js';
import { createHandlers, type HandlerDeps } from './handlers.js';
import { LogBuffer } from './log-buffer.js';
import { ProfileStore } from './profile-store.js';
import { SettingsStore } from './settings-store.js';

export interface AppServices {
  logs: LogBuffer;
  settings: SettingsStore;
  connection: ConnectionService;
  handlers: CommandHandlers;
}

export function createAppServices(options: {
  configDir: string;
  /** Profiles IT provisions, shown read-only. */
  managedDir: string;
  createTunnel: TunnelFactory;
  clockWarning?: HandlerDeps['clockWarning'];
}): AppServices {
  const { configDir, managedDir, createTunnel, clockWarning } = options;
  const logs = new LogBuffer();
  const secrets = keytarStore();
  const profiles = new ProfileStore({
    configDir,
    managedDir,
    secrets,
    onSkipped: (file, reason) => logs.log(`Profile ${file} left out: ${reason}`),
  });
  const settings = new SettingsStore(configDir);
  const killSwitch = async () => (await settings.get()).killSwitch;
  const connection = new ConnectionService({ profiles, secrets, logs, createTunnel, killSwitch });
  const handlers = createHandlers({ profiles, settings, secrets, connection, logs, clockWarning });
  return { logs, settings, connection, handlers };
}
