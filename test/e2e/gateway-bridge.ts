/**
 * The real main-process services behind the dev/test bridge, for test/e2e/gateway.test.ts: ProfileStore and
 * SettingsStore in a config directory, the real keychain (keytar; run it inside a D-Bus session with an unlocked
 * gnome-keyring), ConnectionService driving core's Tunnel (reconnecting, with a RouteWatch), the log in memory and in
 * <stateDir>/logs, wired by createServices exactly as electron/main.ts does; only the network host differs (this
 * process is root in the client network namespace, so it changes the TUN device, routes and DNS there itself, as the
 * helper would).
 *
 *   node --import tsx test/e2e/gateway-bridge.ts <rendererDir> <configDir> <managedDir> <stateDir>
 *
 * Prints `{"pageUrl": …}` as one JSON line once serving, then `{"notification": …}` for each desktop notification the
 * services ask for (the app's Notifier records them here); disconnects and exits when stdin ends or on SIGTERM.
 */
import { linuxNetworkHost } from '../../core/adapter/linux/host.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultPolicy } from '../../core/policy/schema.js';
import { createServices } from '../../electron/services/create-services.js';
import { startBridgeServer } from './bridge-server.js';

const [root, configDir, managedDir, stateDir] = process.argv.slice(2);
if (root === undefined || configDir === undefined || managedDir === undefined || stateDir === undefined) {
  process.stderr.write('usage: gateway-bridge.ts <rendererDir> <configDir> <managedDir> <stateDir>\n');
  process.exit(2);
}

const { connection, handlers } = createServices({
  configDir,
  logsDir: join(stateDir, 'logs'),
  it: { policy: defaultPolicy(), managedDir, warnings: [] },
  network: linuxNetworkHost({ stateDir }),
  connectTimeoutMs: 15_000,
  // the app asks where with a native save dialog; here the report goes to the state folder
  saveReport: async (fileName, text) => {
    const path = join(stateDir, fileName);
    await writeFile(path, text, { mode: 0o600 });
    return path;
  },
  notifier: { show: (notification) => process.stdout.write(`${JSON.stringify({ notification })}\n`) },
});
const server = await startBridgeServer({ root, handlers });
connection.on('status', (status) => server.emit('status', status));
connection.on('counters', (counters) => server.emit('counters', counters));

let stopping = false;
/** Disconnecting first restores the namespace's routes and DNS and tells the gateway, as Quit does in the app. */
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await connection.disconnect().catch((error: unknown) => process.stderr.write(`disconnect: ${String(error)}\n`));
  await server.close();
  process.exit(0);
}
process.once('SIGTERM', () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.resume();

process.stdout.write(`${JSON.stringify({ pageUrl: server.pageUrl })}\n`);
