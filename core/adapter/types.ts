/**
 * The virtual network adapter and the OS network settings around it, as small interfaces: Linux TUN now; a macOS
 * utun or a Windows Wintun implementation fits behind the same ones.
 */
export interface VirtualAdapter {
  readonly name: string;
  /**
   * Called for each IP packet the OS routes into the adapter. The bytes are only valid during the call (the read
   * buffer is reused): consume or copy them before returning.
   */
  onPackets(handler: (packet: Uint8Array) => void): void;
  /** Hands an IP packet to the OS. */
  write(packet: Uint8Array): void;
  close(): void;
  readonly counters: { readPackets: number; writePackets: number; writeErrors: number };
}

export interface NetworkPlan {
  adapter: string;
  /** Virtual IPv4 address. */
  address: string;
  prefix: number;
  mtu: number;
  /** Split tunnel: these CIDRs go through the adapter (empty with fullTunnel). */
  routes: string[];
  fullTunnel: boolean;
  /** The gateway's real address: in full tunnel it keeps a host route via the original default route. */
  gateway: string;
  dns: { servers: string[]; domains: string[] } | undefined;
}

export interface NetworkConfigurator {
  apply(plan: NetworkPlan): Promise<void>;
  restore(): Promise<void>;
}
