// Runs inside a test's network namespace (`ip netns exec NS node --import tsx test/interop/kill-switch-agent.ts
// STATE_DIR`) for test/interop/kill-switch.test.ts: nftables tables belong to the namespace of the process that runs
// nft, so the kill switch runs here, through linuxNetworkHost as the engine and the helper use it.
//
// JSON commands on stdin, one per line; one JSON answer per command on stdout.
import { linuxNetworkHost } from '../../core/adapter/linux/host.js';
import type { KillSwitchPolicy } from '../../core/adapter/types.js';
import { serveAgent } from '../support/agent.js';

export type KillSwitchCommand = { op: 'enable'; policy: KillSwitchPolicy } | { op: 'disable' } | { op: 'recover' };

const stateDir = process.argv[2];
if (stateDir === undefined) throw new Error('usage: kill-switch-agent.ts STATE_DIR');
const host = linuxNetworkHost({ stateDir });

const handle = async (command: KillSwitchCommand): Promise<void> => {
  switch (command.op) {
    case 'enable':
      return host.killSwitch.enable(command.policy);
    case 'disable':
      return host.killSwitch.disable();
    case 'recover':
      return host.recover();
  }
};

serveAgent(handle);
