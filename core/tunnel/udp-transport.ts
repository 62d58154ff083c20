/**
 * The UDP edge of a connection on this thread (node:dgram): one socket on an ephemeral local port that talks to the
 * gateway's IKE port and, once NAT traversal starts, its 4500. It only carries bytes: what they are is the business of
 * the Connection and the data path (see inline-transport.ts).
 */
import { createSocket, type Socket } from 'node:dgram';
import { type AddressInfo, isIPv6 } from 'node:net';
import { messageOf, OutpostError } from '../errors.js';
import type { DatagramPath } from './transport.js';

/**
 * The local address the kernel would use towards `remote` (needed for NAT detection hashes), or a network error in
 * words when there is no route.
 */
export async function localAddressFor(remote: string, port: number): Promise<string> {
  const probe = createSocket(isIPv6(remote) ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.connect(port, remote, () => resolve());
    });
    return probe.address().address;
  } catch (error) {
    throw new OutpostError('network', 'This computer has no route to the VPN gateway. Check your connection.', {
      detail: `${remote}: ${messageOf(error)}`,
      cause: error,
    });
  } finally {
    probe.close();
  }
}

/** A move to a new local address that failed (see rebind). */
export function rebindError(localAddress: string, error: unknown): OutpostError {
  return new OutpostError('network', 'The VPN could not use the new network address of this computer.', {
    detail: `bind ${localAddress}: ${messageOf(error)}`,
    cause: error,
  });
}

/** A socket bound to `local` on a port the kernel picks, passing on what comes from `remoteAddress`. */
async function bindSocket(
  local: string,
  remoteAddress: string,
  received: (datagram: Uint8Array, port: number) => void,
): Promise<Socket> {
  const socket = createSocket({ type: isIPv6(remoteAddress) ? 'udp6' : 'udp4' });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, local, () => resolve());
  });
  socket.on('message', (msg, rinfo) => {
    if (rinfo.address === remoteAddress) received(msg, rinfo.port);
  });
  // ICMP errors surface as socket errors on some systems; retransmission and its timeout decide, not them
  socket.on('error', () => {});
  return socket;
}

export class UdpTransport implements DatagramPath {
  private closed = false;
  /** Datagrams handed to the socket and not yet sent. */
  private sending = 0;
  private socketClosed = false;
  /** The address and port datagrams to the gateway leave from (needed for NAT detection hashes). */
  private local: AddressInfo;

  private constructor(
    private socket: Socket,
    readonly remoteAddress: string,
    private readonly received: (datagram: Uint8Array, port: number) => void,
  ) {
    this.local = socket.address();
  }

  get localAddress(): string {
    return this.local.address;
  }

  get localPort(): number {
    return this.local.port;
  }

  /** `received` gets every datagram from the gateway's address with the port it came from. */
  static async open(
    remoteAddress: string,
    remotePort: number,
    received: (datagram: Uint8Array, port: number) => void,
  ): Promise<UdpTransport> {
    const local = await localAddressFor(remoteAddress, remotePort);
    return new UdpTransport(await bindSocket(local, remoteAddress, received), remoteAddress, received);
  }

  /**
   * Moves to a new socket on `localAddress`, the address this computer now reaches the gateway from, and closes the
   * old one: its address is gone, and a socket cannot change the address it is bound to.
   */
  async rebind(localAddress: string): Promise<void> {
    let socket: Socket;
    try {
      socket = await bindSocket(localAddress, this.remoteAddress, this.received);
    } catch (error) {
      throw rebindError(localAddress, error);
    }
    if (this.closed) {
      socket.close();
      return;
    }
    this.socket.close();
    this.socket = socket;
    // what the old socket still had to send left from an address that is gone
    this.sending = 0;
    this.local = socket.address();
  }

  send(data: Uint8Array, port: number): void {
    if (this.closed) return;
    this.sending++;
    this.socket.send(data, port, this.remoteAddress, this.sent);
  }

  /** One closure for every datagram: ESP goes through here too. */
  private readonly sent = (): void => {
    this.sending--;
    if (this.closed && this.sending <= 0) this.closeSocket();
  };

  /**
   * Closes once what was sent has left: dgram resolves even an IP literal on a later tick, and a socket closed before
   * that drops the datagram without a word, such as the Delete sent just before a session ends.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.sending <= 0) this.closeSocket();
  }

  private closeSocket(): void {
    if (this.socketClosed) return;
    this.socketClosed = true;
    this.socket.close();
  }
}
