/**
 * The UDP edge of IKE: one socket on an ephemeral local port talks to the gateway's 500 and, after NAT traversal
 * starts, its 4500 (RFC 3948 framing: IKE behind a 4-byte zero non-ESP marker, ESP without). Replies are told apart
 * by the port they came from.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { OutpostError } from '../errors.js';
import { classifyNatTDatagram, NAT_KEEPALIVE, NON_ESP_MARKER_LENGTH } from '../esp/udp-encap.js';

export const NAT_T_PORT = 4500;

export interface TransportHandlers {
  ike(datagram: Uint8Array): void;
  /** ESP-in-UDP from the gateway (RFC 3948); the ESP engine takes these. */
  esp(datagram: Uint8Array): void;
}

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
  private constructor(
    private readonly socket: Socket,
    readonly localAddress: string,
    readonly localPort: number,
    readonly remoteAddress: string,
    readonly remotePort: number,
  ) {}

  static async open(remoteAddress: string, remotePort: number, handlers: TransportHandlers): Promise<UdpTransport> {
    let local: string;
    try {
      local = await localAddressFor(remoteAddress, remotePort);
    } catch (error) {
      throw new OutpostError('network', 'This computer has no route to the VPN gateway. Check your connection.', {
        detail: `${remoteAddress}: ${error instanceof Error ? error.message : String(error)}`,
        cause: error,
      });
    }
    const socket = createSocket({ type: isIPv6(remoteAddress) ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, local, () => resolve());
    });
    const transport = new UdpTransport(socket, local, socket.address().port, remoteAddress, remotePort);
    socket.on('message', (msg, rinfo) => {
      if (rinfo.address !== remoteAddress) return;
      transport.demux(msg, rinfo.port, handlers);
    });
    // ICMP errors surface as socket errors on some systems; retransmission and its timeout decide, not them
    socket.on('error', () => {});
    return transport;
  }

  private demux(msg: Buffer, port: number, handlers: TransportHandlers): void {
    if (port !== NAT_T_PORT) {
      if (port === this.remotePort) handlers.ike(msg);
      return;
    }
    switch (classifyNatTDatagram(msg)) {
      case 'ike':
        handlers.ike(msg.subarray(NON_ESP_MARKER_LENGTH));
        break;
      case 'esp':
        handlers.esp(msg);
        break;
      default:
        // keepalives (RFC 3948 §2.3) and datagrams too short to be either
        break;
    }
  }

  sendIke(data: Uint8Array, natT: boolean): void {
    if (natT || this.remotePort === NAT_T_PORT) {
      const framed = Buffer.alloc(NON_ESP_MARKER_LENGTH + data.length);
      framed.set(data, NON_ESP_MARKER_LENGTH);
      this.socket.send(framed, NAT_T_PORT, this.remoteAddress);
    } else {
      this.socket.send(data, this.remotePort, this.remoteAddress);
    }
  }

  /** ESP-in-UDP (RFC 3948): the ESP packet as is, to the gateway's 4500. */
  sendEsp(packet: Uint8Array): void {
    this.socket.send(packet, NAT_T_PORT, this.remoteAddress);
  }

  sendKeepalive(): void {
    this.socket.send(NAT_KEEPALIVE, NAT_T_PORT, this.remoteAddress);
  }

  close(): void {
    this.socket.close();
  }
}
