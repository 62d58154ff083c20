/**
 * Which NetworkHost `outpost connect` uses: the privileged helper service for an ordinary user (or when --helper names
 * one), this process itself for root (or with --no-helper). The helper is reached, and the caller's right to use it
 * checked, before any secret is asked for or any packet is sent.
 */
import { linuxNetworkHost } from '../adapter/linux/host.js';
import type { NetworkHost } from '../adapter/types.js';
import { OutpostError } from '../errors.js';
import { helperNetworkHost } from '../helper/client.js';
import { DEFAULT_SOCKET } from '../helper/server.js';
import type { NetworkChoice } from './args.js';

export interface OpenedHost {
  host: NetworkHost;
  /** Whether a helper keeps the session (and its kill switch) after this process is gone. */
  viaHelper: boolean;
  /** Lets go of the helper connection, if any: the helper then restores whatever is still applied. */
  close(): void;
  /** Settles when the helper goes away under us: the network it set up is gone. Never, without a helper. */
  lost: Promise<OutpostError>;
}

export async function openNetworkHost(
  choice: NetworkChoice,
  stateDir: string | undefined,
  uid: number = process.getuid?.() ?? 0,
): Promise<OpenedHost> {
  if (stateDir !== undefined && uid !== 0) {
    throw new OutpostError(
      'profile-invalid',
      'Option --state-dir is for root only; the network service keeps its own.',
    );
  }
  const socket =
    choice.kind === 'helper' ? choice.socket : choice.kind === 'auto' && uid !== 0 ? DEFAULT_SOCKET : undefined;
  if (socket === undefined) {
    return { host: linuxNetworkHost({ stateDir }), viaHelper: false, close: () => {}, lost: new Promise(() => {}) };
  }
  const host = helperNetworkHost(socket);
  try {
    await host.recover();
  } catch (error) {
    host.close();
    throw error;
  }
  return { host, viaHelper: true, close: () => host.close(), lost: host.lost };
}
