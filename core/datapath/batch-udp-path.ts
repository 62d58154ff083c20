/**
 * The datagram path of the data-path worker on Linux: a BatchUdpSocket (recvmmsg, sendmmsg, UDP GSO and GRO through
 * koffi) towards the gateway, from the address this computer reaches it from. IKE and ESP share it (RFC 3948).
 */
import { OutpostError } from '../errors.js';
import { BatchUdpSocket } from '../net/linux/udp-socket.js';
import type { DatagramPath } from '../tunnel/transport.js';
import { localAddressFor, rebindError } from '../tunnel/udp-transport.js';

export class BatchUdpPath implements DatagramPath {
  readonly batches = true;

  private constructor(
    private socket: BatchUdpSocket,
    readonly remoteAddress: string,
    private readonly received: (datagram: Uint8Array, port: number) => void,
    private readonly drained: (() => void) | undefined,
  ) {
    this.listen();
  }

  /** `received` gets each datagram from the gateway's address as a view valid until `drained` ends its batch. */
  static async open(
    remoteAddress: string,
    remotePort: number,
    received: (datagram: Uint8Array, port: number) => void,
    drained?: () => void,
  ): Promise<BatchUdpPath> {
    const local = await localAddressFor(remoteAddress, remotePort);
    return new BatchUdpPath(BatchUdpSocket.open(local, remoteAddress), remoteAddress, received, drained);
  }

  /** The socket `fd` another thread opened (BatchUdpSocket.adopt), with this thread's own descriptor. */
  static adopt(
    fd: number,
    remoteAddress: string,
    received: (datagram: Uint8Array, port: number) => void,
    drained?: () => void,
  ): BatchUdpPath {
    return new BatchUdpPath(BatchUdpSocket.adopt(fd, remoteAddress), remoteAddress, received, drained);
  }

  /** The descriptor another thread may adopt. */
  get fd(): number {
    return this.socket.fd;
  }

  /** Stops reading here: another thread is taking the socket over (close() afterwards still closes this copy). */
  pause(): void {
    this.socket.pause();
  }

  get localAddress(): string {
    return this.socket.localAddress;
  }

  get localPort(): number {
    return this.socket.localPort;
  }

  send(data: Uint8Array, port: number): void {
    this.socket.send(data, port);
  }

  sendBatch(datagrams: readonly Uint8Array[], port: number): void {
    this.socket.sendBatch(datagrams, port);
  }

  async rebind(localAddress: string): Promise<void> {
    let socket: BatchUdpSocket;
    try {
      socket = BatchUdpSocket.open(localAddress, this.remoteAddress);
    } catch (error) {
      throw rebindError(localAddress, error instanceof OutpostError ? (error.detail ?? error.message) : error);
    }
    this.socket.close();
    this.socket = socket;
    this.listen();
  }

  /** Sends are synchronous: nothing is left to wait for. */
  close(): void {
    this.socket.close();
  }

  private listen(): void {
    this.socket.onDatagrams((batch) => {
      for (let i = 0; i < batch.count; i++) this.received(batch.data(i), batch.port(i));
      this.drained?.();
    });
  }
}
