/** The Linux network host for a process that holds CAP_NET_ADMIN itself: a TUN device and `ip`/resolver changes. */
import type { NetworkHost } from '../types.js';
import { DEFAULT_STATE_DIR, LinuxNetworkConfigurator, recoverAfterCrash } from './configure.js';
import { openLinuxTun } from './tun.js';

export function linuxNetworkHost(options: { stateDir?: string | undefined } = {}): NetworkHost {
  const stateDir = options.stateDir ?? DEFAULT_STATE_DIR;
  return {
    recover: async () => {
      await recoverAfterCrash(stateDir);
    },
    openAdapter: async () => openLinuxTun(),
    configurator: new LinuxNetworkConfigurator({ stateDir }),
  };
}
