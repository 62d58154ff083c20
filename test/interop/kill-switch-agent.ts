// Runs inside a test's network namespace (`ip netns exec NS node --import tsx test/interop/kill-switch-agent.ts
// STATE_DIR`) for test/interop/kill-switch.test.ts: nftables tables belong to the namespace of the process that runs
// nft, so the kill switch runs here, through linuxNetworkHost as the engine and the helper use it.
//
// JSON commands on stdin, one per line; one JSON answer per command on stdout.
import { createInterface } from 'node:readline';
import { linuxNetworkHost } from '../../core/adapter/linux/host.js';
import type { KillSwitchPolicy } from '../../core/adapter/types.js';
import { messageOf, OutpostError } from '../../core/errors.js';

export type KillSwitchCommand = { op: 'enable'; policy: KillSwitchPolicy } | { op: 'disable' } | { op: 'recover' };

export type KillSwitchAnswer = { ok: true } | { ok: false; error: string; code?: string; detail?: string };

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

// one command at a time, answered in order
let queue = Promise.resolve();
createInterface({ input: process.stdin }).on('line', (line) => {
  queue = queue.then(async () => {
    let answer: KillSwitchAnswer;
    try {
      await handle(JSON.parse(line) as KillSwitchCommand);
      answer = { ok: true };
    } catch (error) {
      answer =
        error instanceof OutpostError
          ? { ok: false, error: error.message, code: error.code, ...(error.detail ? { detail: error.detail } : {}) }
          : { ok: false, error: messageOf(error) };
    }
    process.stdout.write(`${JSON.stringify(answer)}\n`);
  });
});
