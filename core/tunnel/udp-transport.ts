/**
 * The UDP edge of a connection: one socket on an ephemeral local port that talks to the gateway's IKE port and, once
 * NAT traversal starts, its 4500. It only carries bytes: what they are is the Connection's business.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { messageOf, OutpostError } from '../errors.js';

/** The local address the kernel would use towards `remote` (needed for NAT detection hashes). */
async function localAddressFor(remote: string, port: number): Promise<string> {
  const probe = createSocket(isIPv6(remote) ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.connect(port, remote, () => resolve());
    });
    return probe.address().address;
  } finally {
    probe.close();
  }
}

export class UdpTransport {
  /** Datagrams handed to the socket and not yet sent. */
  private sending = 0;
  private closing = false;

  private constructor(
    private readonly socket: Socket,
    readonly localAddress: string,
    readonly localPort: number,
    readonly remoteAddress: string,
  ) {}

  /** `received` gets every datagram from the gateway's address with the port it came from. */
  static async open(
    remoteAddress: string,
    remotePort: number,
    received: (datagram: Uint8Array, port: number) => void,
  ): Promise<UdpTransport> {
    let local: string;
    try {
      local = await localAddressFor(remoteAddress, remotePort);
    } catch (error) {
      throw new OutpostError('network', 'This computer has no route to the VPN gateway. Check your connection.', {
        detail: `${remoteAddress}: ${messageOf(error)}`,
        cause: error,
      });
    }
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
    return new UdpTransport(socket, local, socket.address().port, remoteAddress);
  }

  send(data: Uint8Array, port: number): void {
    if (this.closing) return;
    this.sending++;
    this.socket.send(data, port, this.remoteAddress, this.sent);
  }

  /** One closure for every datagram: ESP goes through here too. */
  private readonly sent = (): void => {
    this.sending--;
    if (this.closing && this.sending === 0) this.socket.close();
  };

  /**
   * Closes once what was sent has left: dgram resolves even an IP literal on a later tick, and a socket closed before
   * that drops the datagram without a word, such as the Delete sent just before a session ends.
   */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    if (this.sending === 0) this.socket.close();
  }
}
