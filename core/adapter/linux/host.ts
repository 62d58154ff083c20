/**
 * The Linux network host for a process that holds CAP_NET_ADMIN itself: a TUN device, `ip`/resolver changes and the
 * nftables kill switch.
 */
import type { NetworkHost } from '../types.js';
import { DEFAULT_STATE_DIR, LinuxNetworkConfigurator, recoverAfterCrash } from './configure.js';
import { LinuxKillSwitch, recoverKillSwitch } from './kill-switch.js';
import { openLinuxTun } from './tun.js';

export function linuxNetworkHost(options: { stateDir?: string | undefined } = {}): NetworkHost {
  const stateDir = options.stateDir ?? DEFAULT_STATE_DIR;
  return {
    recover: async () => {
      // each journal is recovered even when the other one fails: a routing leftover must not keep a kill switch on
      const results = await Promise.allSettled([recoverAfterCrash(stateDir), recoverKillSwitch(stateDir)]);
      for (const result of results) if (result.status === 'rejected') throw result.reason;
    },
    // TCP super-packets both ways: the data path splits and merges them (tun-offload.ts)
    openAdapter: async () => openLinuxTun(undefined, { offload: true }),
    configurator: new LinuxNetworkConfigurator({ stateDir }),
    killSwitch: new LinuxKillSwitch({ stateDir }),
  };
}
