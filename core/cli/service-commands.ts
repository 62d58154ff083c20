/**
 * `outpost helper` (the privileged network service, in the foreground; its systemd unit comes with the installer) and
 * `outpost disconnect` (ends the caller's session at it: restore, and the kill switch off).
 */
import { LinuxNetworkConfigurator, recoverAfterCrash } from '../adapter/linux/configure.js';
import { LinuxKillSwitch, recoverKillSwitch } from '../adapter/linux/kill-switch.js';
import { OwnedAdapters } from '../adapter/linux/owned-adapters.js';
import { OutpostError } from '../errors.js';
import { HelperClient } from '../helper/client.js';
import { HelperServer } from '../helper/server.js';
import { secureStateDir } from '../helper/state-dir.js';
import type { Command } from './args.js';

type Print = (text: string) => void;

/** Serves until SIGTERM or SIGINT, then restores every session's changes and resolves. */
export async function runHelper(command: Extract<Command, { kind: 'helper' }>, log: Print): Promise<void> {
  if (process.getuid?.() !== 0) throw new OutpostError('unsupported', 'The network service must run as root.');
  const { stateDir } = command;
  secureStateDir(stateDir);
  // at start, i.e. at boot: whatever a previous run left applied is undone
  const adapters = new OwnedAdapters({ stateDir });
  const killSwitch = new LinuxKillSwitch({ stateDir });
  await recoverAfterCrash(stateDir);
  await adapters.recover();
  await recoverKillSwitch(stateDir);
  const configurator = new LinuxNetworkConfigurator({ stateDir });
  const server = await HelperServer.start(
    { socketPath: command.socket, group: command.group, log: (line) => log(`outpost helper: ${line}`) },
    { configurator, killSwitch, adapters },
  );
  log(`outpost helper: listening on ${command.socket} for root and the group '${command.group}'`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  log('outpost helper: stopping; restoring the network');
  await server.close();
}

export async function runDisconnect(command: Extract<Command, { kind: 'disconnect' }>): Promise<void> {
  const client = await HelperClient.connect(command.socket);
  try {
    await client.request('disconnect', {});
  } finally {
    client.close();
  }
}
