/**
 * The virtual network adapter and the OS network settings around it, as small interfaces: Linux TUN now; a macOS
 * utun or a Windows Wintun implementation fits behind the same ones.
 */
/** A TUN device's file descriptor in this process, and whether it reads and writes behind a virtio_net_hdr. */
export interface AdapterDescriptor {
  fd: number;
  offload: boolean;
}

export interface VirtualAdapter {
  /** The interface name the OS gave the adapter (what a NetworkPlan's `adapter` names). */
  readonly name: string;
  /** Where the data path can take the adapter to a worker thread (a Linux TUN). */
  readonly descriptor?: AdapterDescriptor;
  /**
   * Called for each IP packet the OS routes into the adapter. The bytes are only valid during the call (the read
   * buffer is reused): consume or copy them before returning. `drained` follows each run of packets read at once,
   * so whatever the handler gathered can leave together.
   */
  onPackets(handler: (packet: Uint8Array) => void, drained?: () => void): void;
  /** Hands an IP packet to the OS. Never throws: a packet the OS refuses is counted in `writeErrors`. */
  write(packet: Uint8Array): void;
  /** Several at once, in order, in fewer writes where the adapter can merge them (TUN offloads). */
  writeBatch?(packets: readonly Uint8Array[]): void;
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
  /** Virtual IPv6 address, when the gateway assigned one (INTERNAL_IP6_ADDRESS). */
  address6?: { address: string; prefix: number } | undefined;
  mtu: number;
  /** Split tunnel: these IPv4 and IPv6 CIDRs go through the adapter (empty with fullTunnel). */
  routes: string[];
  /**
   * Everything goes through the adapter: IPv4, and IPv6 when `address6` is set; without it IPv6 is blocked while
   * connected, so it cannot leak around the tunnel.
   */
  fullTunnel: boolean;
  /**
   * The gateway's real address: where the tunnel's routes would cover it (always in full tunnel), it keeps a host
   * route via the route it has now, so IKE and ESP never loop into the tunnel.
   */
  gateway: string;
  dns: { servers: string[]; domains: string[] } | undefined;
}

/** What applying a plan could not do as asked, for the person's log (split DNS without systemd-resolved, say). */
export interface AppliedPlan {
  notes: string[];
}

export interface NetworkConfigurator {
  /** Applies `plan` completely, or undoes what it did and throws. */
  apply(plan: NetworkPlan): Promise<AppliedPlan>;
  /** Undoes everything `apply` did, in reverse order; tolerant of things already gone. */
  restore(): Promise<void>;
}

/**
 * While on, only the tunnel adapter, loopback, IKE/NAT-T to the gateway and DHCP may send; everything else is dropped,
 * during reconnects too. It outlives the connection that turned it on (fail-closed) until it is turned off.
 */
export interface KillSwitch {
  enable(policy: KillSwitchPolicy): Promise<void>;
  disable(): Promise<void>;
}

export interface KillSwitchPolicy {
  /** The gateway's address, IPv4 or IPv6. */
  gateway: string;
  /** Its UDP ports that IKE and NAT-T use (500 and 4500, or the profile's). */
  ports: number[];
}

/**
 * Everything a connection needs from the operating system, on one side of the privilege line: the adapter, the
 * settings around it, and undoing what a run that crashed left behind. Linux directly today; a privileged helper
 * service or another OS fits behind the same interface.
 */
/**
 * Tells when this computer starts reaching the gateway from another local address (another network, a new DHCP lease):
 * the tunnel then moves its IKE SA there with MOBIKE, or reconnects.
 */
export interface SourceWatch {
  on(event: 'changed', listener: (source: string) => void): unknown;
  /** Looks now rather than at the next interval (after a wake-up). */
  poll(): Promise<void>;
  stop(): void;
}

export interface NetworkHost {
  /**
   * Undoes whatever an earlier run that did not end cleanly left applied, its kill switch included. A kill switch
   * that should stay on across that is enabled before: it then belongs to this run and is left alone.
   */
  recover(): Promise<void>;
  openAdapter(): Promise<VirtualAdapter>;
  readonly configurator: NetworkConfigurator;
  readonly killSwitch: KillSwitch;
}
