/**
 * A Linux TUN device (IFF_TUN | IFF_NO_PI) driven from the event loop: ioctl(TUNSETIFF) through koffi, then
 * poll-for-readable and read(2) until EAGAIN. A blocking fs.read on a TUN fd would sit in the thread pool, keep the
 * process from exiting and run several times slower.
 */
import { closeSync, constants, openSync } from 'node:fs';
import koffi from 'koffi';
import { OutpostError } from '../../errors.js';
import type { VirtualAdapter } from '../types.js';

const TUNSETIFF = 0x400454ca;
const IFF_TUN = 0x0001;
const IFF_NO_PI = 0x1000;
const IFNAMSIZ = 16;
const IFREQ_SIZE = 40;
/** Larger than any MTU we configure, so a read never truncates a packet. */
const READ_BUFFER = 65536;

const libc = koffi.load('libc.so.6');
const ioctl = libc.func('int ioctl(int fd, unsigned long request, _Inout_ uint8_t *arg)');
const read = libc.func('long read(int fd, _Out_ uint8_t *buf, unsigned long count)');
const write = libc.func('long write(int fd, const uint8_t *buf, unsigned long count)');

export function openLinuxTun(name = 'outpost%d'): VirtualAdapter {
  if (Buffer.byteLength(name) >= IFNAMSIZ) throw new Error(`interface name too long: ${name}`);
  let fd: number;
  try {
    fd = openSync('/dev/net/tun', constants.O_RDWR | constants.O_NONBLOCK);
  } catch (error) {
    throw new OutpostError('network', 'The virtual network adapter could not be opened (run as administrator).', {
      detail: error instanceof Error ? error.message : String(error),
      cause: error,
    });
  }
  const ifreq = Buffer.alloc(IFREQ_SIZE);
  ifreq.write(name, 0, 'ascii');
  ifreq.writeUInt16LE(IFF_TUN | IFF_NO_PI, IFNAMSIZ);
  if ((ioctl(fd, TUNSETIFF, ifreq) as number) < 0) {
    const errno = koffi.errno();
    closeSync(fd);
    throw new OutpostError('network', 'The virtual network adapter could not be created (run as administrator).', {
      detail: `TUNSETIFF failed, errno ${errno}`,
    });
  }
  const actualName = ifreq.toString('ascii', 0, IFNAMSIZ).replace(/\0.*$/s, '');
  return new LinuxTun(fd, actualName);
}

class LinuxTun implements VirtualAdapter {
  readonly counters = { readPackets: 0, writePackets: 0, writeErrors: 0 };
  private readonly buffer = Buffer.alloc(READ_BUFFER);
  private poller: koffi.node.PollHandle | undefined;
  private closed = false;

  constructor(
    private readonly fd: number,
    readonly name: string,
  ) {}

  onPackets(handler: (packet: Uint8Array) => void): void {
    this.poller?.close();
    this.poller = koffi.node.poll(this.fd, { readable: true }, () => {
      while (!this.closed) {
        const n = read(this.fd, this.buffer, READ_BUFFER) as number;
        // EAGAIN: drained until the next readable event; anything else: nothing to read either
        if (n <= 0) return;
        this.counters.readPackets++;
        handler(this.buffer.subarray(0, n));
      }
    });
  }

  write(packet: Uint8Array): void {
    if (this.closed) return;
    const n = write(this.fd, packet, packet.length) as number;
    if (n === packet.length) this.counters.writePackets++;
    else this.counters.writeErrors++;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.poller?.close();
    closeSync(this.fd);
  }
}
