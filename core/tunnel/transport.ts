/**
 * What the tunnel needs of its path to the gateway: IKE datagrams both ways, and a data path (core/datapath) that
 * moves the ESP packets between the virtual adapter and the gateway once the CHILD_SA is up, on this thread or in a
 * worker. Both share one UDP socket: NAT traversal puts IKE and ESP on the same port (RFC 3948).
 */
import type { VirtualAdapter } from '../adapter/types.js';
import type { Activity, DataPathCounters, TrafficPolicy } from '../datapath/data-path.js';
import type { KeyCommand } from '../datapath/sa-spec.js';
import type { OutpostError } from '../errors.js';

export interface TransportEvents {
  /** Every datagram from the gateway that is not ESP, with the port it came from. */
  received(datagram: Uint8Array, port: number): void;
  /** What the data path saw of the traffic since its last report. */
  activity(activity: Activity): void;
  /** The data path stopped for good (its worker died): the connection cannot go on. */
  failed(error: OutpostError): void;
}

export interface Transport {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  /** An IKE message or a keepalive to the gateway's `port`. */
  send(data: Uint8Array, port: number): void;
  /** Applies the IKE session's key changes, in order, before anything sent after this call. */
  applyKeys(commands: KeyCommand[]): void;
  /** From now on packets move between `adapter` and the gateway under `policy`. */
  carry(adapter: VirtualAdapter, policy: TrafficPolicy): void;
  /** The data path's counters, as of its last report. */
  readonly counters: DataPathCounters;
  /** Sends from `localAddress` from now on (see UdpTransport.rebind). */
  rebind(localAddress: string): Promise<void>;
  /**
   * Stops the data path and closes the socket once what was sent has left; idempotent. Settles once the adapter and
   * the socket are released (a worker thread has ended): the process may exit then.
   */
  close(): Promise<void>;
}

export type OpenTransport = (remoteAddress: string, remotePort: number, events: TransportEvents) => Promise<Transport>;

/** Bare datagrams to and from the gateway's address: a UDP socket here, an in-memory gateway in tunnel.test.ts. */
export interface DatagramPath {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  send(data: Uint8Array, port: number): void;
  /** Several datagrams at once, in order, where the path can do it in fewer system calls. */
  sendBatch?(datagrams: readonly Uint8Array[], port: number): void;
  /** It delivers what it receives in batches and calls `drained` after each (see OpenDatagramPath). */
  readonly batches?: boolean;
  rebind(localAddress: string): Promise<void>;
  close(): void;
}

/**
 * Opens a path to the gateway; `received` gets every datagram from it with the port it came from, valid until the
 * end of its batch: until `drained` is called, on a path that `batches`; until it returns, on any other.
 */
export type OpenDatagramPath = (
  remoteAddress: string,
  remotePort: number,
  received: (datagram: Uint8Array, port: number) => void,
  drained?: () => void,
) => Promise<DatagramPath>;
