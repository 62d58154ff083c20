/**
 * The data path on the thread of the IKE session, over any DatagramPath: what runs where there is no data-path
 * worker for the platform yet, and in tests with an in-memory gateway. ESP is told apart from IKE as it arrives
 * (RFC 3948: the SPI is never zero); the activity of a turn of the event loop is reported once, at its end.
 */
import type { VirtualAdapter } from '../adapter/types.js';
import { cryptoError } from '../crypto/crypto-error.js';
import { messageOf, OutpostError } from '../errors.js';
import { isEspDatagram, NAT_T_PORT } from '../esp/udp-encap.js';
import type { DatagramPath, OpenDatagramPath, OpenTransport, Transport, TransportEvents } from '../tunnel/transport.js';
import { DataPath, type DataPathCounters, type TrafficPolicy } from './data-path.js';
import type { KeyCommand } from './sa-spec.js';

class InlineTransport implements Transport {
  private readonly data = new DataPath();
  private path!: DatagramPath;
  private adapter: VirtualAdapter | undefined;
  private reportDue = false;
  /** ESP packets of the current run of adapter reads, sent together when it ends. */
  private outgoing: Uint8Array[] = [];
  /** Inner packets of the current batch from a path that `batches`, written together when it ends. */
  private incoming: Uint8Array[] = [];

  constructor(private readonly events: TransportEvents) {}

  async open(open: OpenDatagramPath, remoteAddress: string, remotePort: number): Promise<this> {
    this.path = await open(remoteAddress, remotePort, this.receive, this.drained);
    return this;
  }

  get localAddress(): string {
    return this.path.localAddress;
  }

  get localPort(): number {
    return this.path.localPort;
  }

  get remoteAddress(): string {
    return this.path.remoteAddress;
  }

  get counters(): DataPathCounters {
    return this.data.counters;
  }

  send(data: Uint8Array, port: number): void {
    this.data.noteSent();
    this.path.send(data, port);
    this.scheduleReport();
  }

  applyKeys(commands: KeyCommand[]): void {
    try {
      for (const command of commands) this.data.apply(command);
    } catch (error) {
      this.events.failed(
        error instanceof OutpostError ? error : cryptoError(`installing ESP keys: ${messageOf(error)}`),
      );
    }
  }

  carry(adapter: VirtualAdapter, policy: TrafficPolicy): void {
    this.adapter = adapter;
    this.data.setPolicy(policy);
    adapter.onPackets(
      (packet) => {
        const esp = this.data.encapsulate(packet);
        if (esp) this.outgoing.push(esp);
      },
      () => {
        const esp = this.outgoing;
        if (esp.length === 0) return;
        this.outgoing = [];
        if (this.path.sendBatch) this.path.sendBatch(esp, NAT_T_PORT);
        else for (const datagram of esp) this.path.send(datagram, NAT_T_PORT);
        this.scheduleReport();
      },
    );
  }

  rebind(localAddress: string): Promise<void> {
    return this.path.rebind(localAddress);
  }

  async close(): Promise<void> {
    this.adapter = undefined;
    this.path.close();
  }

  private readonly receive = (datagram: Uint8Array, port: number): void => {
    if (!isEspDatagram(datagram, port)) {
      // a copy: the path may reuse its buffer, and IKE may wait (settling-queue.ts); it is rare enough
      this.events.received(Uint8Array.from(datagram), port);
      return;
    }
    const packet = this.data.decapsulate(datagram);
    if (packet && this.path.batches) this.incoming.push(packet);
    else if (packet) this.adapter?.write(packet);
    this.scheduleReport();
  };

  private readonly drained = (): void => {
    const packets = this.incoming;
    if (packets.length === 0) return;
    this.incoming = [];
    if (this.adapter?.writeBatch) this.adapter.writeBatch(packets);
    else for (const packet of packets) this.adapter?.write(packet);
  };

  private scheduleReport(): void {
    if (this.reportDue) return;
    this.reportDue = true;
    setImmediate(this.report);
  }

  private readonly report = (): void => {
    this.reportDue = false;
    const activity = this.data.takeActivity();
    if (activity) this.events.activity(activity);
  };
}

/** Opens transports whose data path runs on this thread, over the datagram paths `open` makes. */
export function inlineTransport(open: OpenDatagramPath): OpenTransport {
  return (remoteAddress, remotePort, events) => new InlineTransport(events).open(open, remoteAddress, remotePort);
}
