/**
 * The virtual network adapter and the OS network settings around it, as small interfaces: Linux TUN now; a macOS
 * utun or a Windows Wintun implementation fits behind the same ones.
 */
export interface VirtualAdapter {
  /** The interface name the OS gave the adapter (what a NetworkPlan's `adapter` names). */
  readonly name: string;
  /**
   * Called for each IP packet the OS routes into the adapter. The bytes are only valid during the call (the read
   * buffer is reused): consume or copy them before returning.
   */
  onPackets(handler: (packet: Uint8Array) => void): void;
  /** Hands an IP packet to the OS. Never throws: a packet the OS refuses is counted in `writeErrors`. */
  write(packet: Uint8Array): void;
  /** Stops reading and releases the adapter, so the process can exit. Idempotent. */
  close(): void;
  /** `readErrors`: reads that failed for another reason than "nothing to read". */
  readonly counters: { readPackets: number; writePackets: number; writeErrors: number; readErrors: number };
}

export interface NetworkPlan {
  adapter: string;
  /** Virtual IPv4 address. */
  address: string;
  /** Prefix length of `address`, 32 usually. */
  prefix: number;
  mtu: number;
  /** Split tunnel: these CIDRs go through the adapter (empty with fullTunnel). */
  routes: string[];
  /** Everything goes through the adapter. */
  fullTunnel: boolean;
  /**
   * The gateway's real address: where the tunnel's routes would cover it (always in full tunnel), it keeps a host
   * route via the route it has now, so IKE and ESP never loop into the tunnel.
   */
  gateway: string;
  dns: { servers: string[]; domains: string[] } | undefined;
}

export interface NetworkConfigurator {
  /** Applies `plan` completely, or undoes what it did and throws. */
  apply(plan: NetworkPlan): Promise<void>;
  /** Undoes everything `apply` did, in reverse order; tolerant of things already gone. */
  restore(): Promise<void>;
}

/**
 * Everything a connection needs from the operating system, on one side of the privilege line: the adapter, the
 * settings around it, and undoing what a run that crashed left behind. Linux directly today; a privileged helper
 * service or another OS fits behind the same interface.
 */
export interface NetworkHost {
  /** Undoes whatever an earlier run that did not end cleanly left applied. */
  recover(): Promise<void>;
  openAdapter(): Promise<VirtualAdapter>;
  readonly configurator: NetworkConfigurator;
}
