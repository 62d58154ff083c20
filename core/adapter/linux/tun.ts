/**
 * A Linux TUN device (IFF_TUN | IFF_NO_PI: bare IP packets, one per read or write) driven from the event loop:
 * ioctl(TUNSETIFF) through koffi, then poll-for-readable and read(2) until EAGAIN. A blocking fs.read on a TUN fd
 * would sit in the thread pool, keep the process from exiting and run several times slower.
 *
 * With `{ offload: true }` the device also takes and gives TCP super-packets behind a virtio_net_hdr (IFF_VNET_HDR,
 * TUNSETOFFLOAD with checksum and TSO offloads): one read of up to 64 KB where there were ~45, split here into the
 * packets a plain device would have given (tun-offload.ts), so the adapter's users see plain IP packets either way.
 *
 * A device opened here is not persistent: it disappears, with its addresses and routes, when the fd is closed or the
 * process dies. The privileged helper instead makes a persistent device owned by the user whose engine then opens it
 * (the kernel lets a TUN's owner attach to it without CAP_NET_ADMIN); the helper deletes it when the session ends.
 */
import { closeSync, constants, openSync } from 'node:fs';
import { constants as os } from 'node:os';
import type koffi from 'koffi';
import { duplicateDescriptor, errnoName, ffi } from './ffi.js';
import { adapterError } from '../adapter-error.js';
import type { AdapterDescriptor, VirtualAdapter } from '../types.js';
import {
  coalesce,
  type DropReason,
  emitPlain,
  FRAME_BUFFER_SIZE,
  parseVirtioNetHeader,
  segment,
  VIRTIO_NET_HDR_LEN,
} from './tun-offload.js';

const TUN_DEVICE = '/dev/net/tun';
const TUNSETIFF = 0x400454ca;
const TUNSETPERSIST = 0x400454cb;
const TUNSETOWNER = 0x400454cc;
const TUNSETGROUP = 0x400454ce;
const TUNSETOFFLOAD = 0x400454d0;
const TUNSETVNETHDRSZ = 0x400454d8;
const IFF_TUN = 0x0001;
const IFF_NO_PI = 0x1000;
const IFF_VNET_HDR = 0x4000;
const TUN_F_CSUM = 0x01;
const TUN_F_TSO4 = 0x02;
const TUN_F_TSO6 = 0x04;
/** Fail rather than attach when a device of that name exists: the helper must never hand out someone else's. */
const IFF_TUN_EXCL = 0x8000;
const IFNAMSIZ = 16;
/** struct ifreq: the name, then a union whose first member here is the u16 flags. */
const IFREQ_SIZE = 40;
/** Larger than any MTU an interface can have, so a read never truncates a packet. */
const READ_BUFFER = 65536;
/** Packets read in one run before the handler's batch leaves (a sendmmsg of the worker's socket takes 64). */
const RUN = 64;
/** Runs per readable event before the event loop gets a turn (level-triggered: the rest waits). */
const RUNS = 8;
/** What Linux accepts as an interface name (dev_valid_name), `%d` asking the kernel for the first free number. */
const INTERFACE_NAME = /^[A-Za-z0-9_.-]+(%d)?$/;

interface Libc {
  ioctl(fd: number, request: number, arg: Buffer): number;
  /** ioctl with an integer argument (TUNSETOWNER, TUNSETPERSIST). */
  ioctlValue(fd: number, request: number, value: number): number;
  read(fd: number, buffer: Buffer, count: number): number;
  write(fd: number, buffer: Uint8Array, count: number): number;
}

let libc: Libc | undefined;

/** Loaded on first use, so importing this module on another OS (or without koffi's binary) costs nothing. */
function loadLibc(): Libc {
  if (libc) return libc;
  const lib = ffi().load('libc.so.6');
  const ioctl = lib.func('int ioctl(int fd, unsigned long request, _Inout_ uint8_t *arg)');
  const ioctlValue = lib.func('ioctl', 'int', ['int', 'unsigned long', 'unsigned long']);
  const read = lib.func('long read(int fd, _Out_ uint8_t *buf, unsigned long count)');
  const write = lib.func('long write(int fd, const uint8_t *buf, unsigned long count)');
  libc = {
    ioctl: (fd, request, arg) => ioctl(fd, request, arg) as number,
    ioctlValue: (fd, request, value) => ioctlValue(fd, request, value) as number,
    read: (fd, buffer, count) => read(fd, buffer, count) as number,
    write: (fd, buffer, count) => write(fd, buffer, count) as number,
  };
  return libc;
}

export interface LinuxTunOptions {
  /** Ask for checksum and TCP segmentation offloads (TSO4, TSO6); off by default. */
  offload?: boolean;
}

/** Whether the device runs with offloads, and when they were asked for but refused, what the kernel said. */
export type OffloadState = { active: true } | { active: false; refused?: string };

export interface LinuxTunAdapter extends VirtualAdapter {
  readonly offload: OffloadState;
  /**
   * Hands several IP packets to the OS: with offloads, consecutive in-order TCP segments of one flow go as one
   * super-packet (one write); without, one write each. Never throws; refused packets are counted in `writeErrors`.
   */
  writeBatch(packets: readonly Uint8Array[]): void;
  /** Frames read with offloads that could not be turned into packets, by reason. */
  readonly drops: Partial<Record<DropReason, number>>;
  /** TCP super-packets read (and split) and written (merged from several packets); zero without offloads. */
  readonly superPackets: { read: number; written: number };
}

/**
 * Creates a TUN device named `name` (default: the first free `outpost<N>`) in the calling process's network
 * namespace, or attaches to the persistent one of that name this user owns. Creating needs root or CAP_NET_ADMIN.
 * The device has no address and is down until a NetworkConfigurator applies a plan to it. With `offload`, a kernel
 * that refuses the offloads leaves a plain device and says why in `offload.refused`.
 */
export function openLinuxTun(name = 'outpost%d', options: LinuxTunOptions = {}): LinuxTunAdapter {
  const libc = loadLibc();
  if (!options.offload) {
    const { fd, name: actualName } = attach(name, 0);
    withoutOffloads(fd, actualName, libc);
    return new LinuxTun(fd, actualName, libc);
  }
  const { fd, name: actualName } = attach(name, IFF_VNET_HDR);
  const refused = enableOffloads(fd, libc);
  if (refused === undefined) return new OffloadLinuxTun(fd, actualName, libc);
  // the header flag cannot be dropped from an attached fd: attach again without it, by the name the kernel gave
  closeSync(fd);
  const plain = attach(actualName, 0);
  withoutOffloads(plain.fd, plain.name, libc);
  return new LinuxTun(plain.fd, plain.name, libc, { active: false, refused });
}

/**
 * Turns offloads off on a device read without the header. A persistent device keeps the offloads an earlier session
 * set, and would then hand this reader 64 KB super-packets it cannot tell from packets.
 */
function withoutOffloads(fd: number, name: string, libc: Libc): void {
  if (libc.ioctlValue(fd, TUNSETOFFLOAD, 0) < 0) {
    const errno = ffi().errno();
    closeSync(fd);
    throw adapterError(
      'The virtual network adapter could not be opened.',
      `TUNSETOFFLOAD 0 ${name}: ${errnoName(errno)}`,
    );
  }
}

/** Sets the 10-byte header and the offloads on a device attached with IFF_VNET_HDR; what failed, if anything. */
function enableOffloads(fd: number, libc: Libc): string | undefined {
  // TUNSETVNETHDRSZ reads an int through its pointer; TUNSETOFFLOAD takes its value as the argument
  const size = Buffer.alloc(4);
  size.writeInt32LE(VIRTIO_NET_HDR_LEN);
  if (libc.ioctl(fd, TUNSETVNETHDRSZ, size) < 0) return `TUNSETVNETHDRSZ: ${errnoName(ffi().errno())}`;
  if (libc.ioctlValue(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6) < 0) {
    return `TUNSETOFFLOAD: ${errnoName(ffi().errno())}`;
  }
  return undefined;
}

/**
 * The adapter another thread of this process opened (its `descriptor`), on a descriptor of its own: the data-path
 * worker reads and writes the device through it, and closing either leaves the other working. The copy shares the
 * device's offload setting, so it reads and writes as the original does.
 */
export function adoptLinuxTun(descriptor: AdapterDescriptor, name: string): LinuxTunAdapter {
  const libc = loadLibc();
  const own = duplicateDescriptor(descriptor.fd);
  if (own < 0) {
    throw adapterError('The virtual network adapter could not be used.', `dup ${name}: ${errnoName(ffi().errno())}`);
  }
  return descriptor.offload ? new OffloadLinuxTun(own, name, libc) : new LinuxTun(own, name, libc);
}

/**
 * Creates a persistent TUN device `name` (which must not exist yet) owned by `owner`, for that user's engine to open
 * with openLinuxTun(name). Root only. Delete it with `ip link del`.
 */
export function createPersistentTun(name: string, owner: { uid: number; gid: number }): void {
  const { ioctlValue } = loadLibc();
  const { fd } = attach(name, IFF_TUN_EXCL);
  try {
    for (const [request, value, what] of [
      [TUNSETOWNER, owner.uid, 'TUNSETOWNER'],
      [TUNSETGROUP, owner.gid, 'TUNSETGROUP'],
      [TUNSETPERSIST, 1, 'TUNSETPERSIST'],
    ] as const) {
      if (ioctlValue(fd, request, value) < 0) {
        throw adapterError(
          'The virtual network adapter could not be created.',
          `${what} ${name}: ${errnoName(ffi().errno())}`,
        );
      }
    }
  } finally {
    closeSync(fd);
  }
}

function attach(name: string, extraFlags: number): { fd: number; name: string } {
  if (Buffer.byteLength(name) >= IFNAMSIZ || !INTERFACE_NAME.test(name) || name === '.' || name === '..') {
    throw adapterError('The virtual network adapter could not be created.', `invalid interface name "${name}"`);
  }
  const { ioctl } = loadLibc();
  let fd: number;
  try {
    fd = openSync(TUN_DEVICE, constants.O_RDWR | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT' || code === 'ENODEV'
        ? 'This computer has no virtual network adapter driver (the Linux "tun" module).'
        : 'The virtual network adapter could not be opened (run as administrator).';
    throw adapterError(message, `open ${TUN_DEVICE}: ${code ?? String(error)}`, error);
  }
  const ifreq = Buffer.alloc(IFREQ_SIZE);
  ifreq.write(name, 0, 'ascii');
  ifreq.writeUInt16LE(IFF_TUN | IFF_NO_PI | extraFlags, IFNAMSIZ);
  if (ioctl(fd, TUNSETIFF, ifreq) < 0) {
    const errno = ffi().errno();
    closeSync(fd);
    const message =
      errno === os.errno.EPERM
        ? 'The virtual network adapter could not be created (run as administrator).'
        : 'The virtual network adapter could not be created.';
    throw adapterError(message, `TUNSETIFF ${name}: ${errnoName(errno)}`);
  }
  return { fd, name: ifreq.toString('ascii', 0, IFNAMSIZ).replace(/\0.*$/s, '') };
}

class LinuxTun implements LinuxTunAdapter {
  readonly counters = { readPackets: 0, writePackets: 0, writeErrors: 0, readErrors: 0 };
  readonly drops: Partial<Record<DropReason, number>> = {};
  readonly superPackets = { read: 0, written: 0 };
  /** One buffer for every read: the handler sees a view of it that the next read overwrites. */
  protected readonly buffer = Buffer.alloc(READ_BUFFER);
  protected handler: ((packet: Uint8Array) => void) | undefined;
  private drained: (() => void) | undefined;
  private poller: koffi.node.PollHandle | undefined;
  protected closed = false;

  constructor(
    protected readonly fd: number,
    readonly name: string,
    protected readonly libc: Libc,
    readonly offload: OffloadState = { active: false },
  ) {}

  /** What another thread needs to adopt this device (adoptLinuxTun). */
  get descriptor(): AdapterDescriptor {
    return { fd: this.fd, offload: this.offload.active };
  }

  /**
   * `handler` gets each packet as a view of the shared read buffer, valid only until it returns: it must consume
   * or copy the bytes first. A later call replaces the handler. An exception from the handler is rethrown on the
   * event loop (an uncaught exception, as from any other callback) instead of vanishing inside the poll callback.
   */
  onPackets(handler: (packet: Uint8Array) => void, drained?: () => void): void {
    this.handler = handler;
    this.drained = drained;
    if (this.poller || this.closed) return;
    // level-triggered: whatever a round leaves unread makes the fd readable again on the next loop iteration
    this.poller = ffi().node.poll(this.fd, { readable: true }, () => this.drain());
  }

  private drain(): void {
    for (let run = 0; run < RUNS && !this.closed; run++) {
      const more = this.readRun();
      this.drained?.();
      if (!more) return;
    }
  }

  /** Up to RUN reads to the handler; false once the device has nothing more (or the handler threw). */
  private readRun(): boolean {
    for (let i = 0; i < RUN && !this.closed; i++) {
      const n = this.readOnce();
      if (n === 0) return false;
      try {
        this.deliverRead(this.buffer.subarray(0, n));
      } catch (error) {
        rethrowOnEventLoop(error);
        return false;
      }
    }
    return !this.closed;
  }

  /** What one read brought, to the handler: here a packet. */
  protected deliverRead(packet: Uint8Array): void {
    this.counters.readPackets++;
    this.handler?.(packet);
  }

  /** One read(2) into `buffer`: its length, or 0 once drained (EAGAIN) or failed (counted). */
  protected readOnce(): number {
    for (;;) {
      const n = this.libc.read(this.fd, this.buffer, this.buffer.length);
      if (n > 0) return n;
      const errno = n < 0 ? ffi().errno() : 0;
      if (errno === os.errno.EINTR) continue;
      // EAGAIN: drained until the next readable event
      if (errno !== os.errno.EAGAIN) this.counters.readErrors++;
      return 0;
    }
  }

  /** Never throws: a packet the kernel refuses (EAGAIN, ENOBUFS, EINVAL for a non-IP packet) is counted. */
  write(packet: Uint8Array): void {
    if (this.closed) {
      this.counters.writeErrors++;
      return;
    }
    const n = this.libc.write(this.fd, packet, packet.length);
    if (n === packet.length) this.counters.writePackets++;
    else this.counters.writeErrors++;
  }

  writeBatch(packets: readonly Uint8Array[]): void {
    for (const packet of packets) this.write(packet);
  }

  /** Stops polling and closes the fd (the kernel then removes the device); idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    // libuv: the fd may be closed right after the poll handle is stopped, never while it is polled
    this.poller?.close();
    this.poller = undefined;
    closeSync(this.fd);
  }
}

/**
 * The device with offloads: each read is a virtio_net_hdr and a packet, possibly a TCP super-packet, which the
 * handler receives split into the plain packets a device without offloads would have given; writes carry a header
 * too (a zero one for a single packet).
 */
class OffloadLinuxTun extends LinuxTun {
  protected override readonly buffer = Buffer.alloc(FRAME_BUFFER_SIZE);
  /** Where segments are built for the handler, and frames for writing. */
  private readonly segmentScratch = new Uint8Array(FRAME_BUFFER_SIZE);
  private readonly writeScratch = new Uint8Array(FRAME_BUFFER_SIZE);
  private readonly deliver = (packet: Uint8Array) => {
    this.counters.readPackets++;
    this.handler?.(packet);
  };
  private readonly writeFrame = (frame: Uint8Array, packets: number) => {
    if (this.closed) {
      this.counters.writeErrors += packets;
      return;
    }
    const n = this.libc.write(this.fd, frame, frame.length);
    if (n !== frame.length) {
      this.counters.writeErrors += packets;
      return;
    }
    this.counters.writePackets += packets;
    if (packets > 1) this.superPackets.written++;
  };

  constructor(fd: number, name: string, libc: Libc) {
    super(fd, name, libc, { active: true });
  }

  /** A frame: the header, then a packet or a TCP super-packet, split for the handler. */
  protected override deliverRead(frame: Uint8Array): void {
    const parsed = parseVirtioNetHeader(frame);
    const outcome = parsed.ok
      ? segment(parsed.header, frame.subarray(VIRTIO_NET_HDR_LEN), this.segmentScratch, this.deliver)
      : parsed;
    if (!outcome.ok) this.drops[outcome.reason] = (this.drops[outcome.reason] ?? 0) + 1;
    else if (outcome.segments > 1) this.superPackets.read++;
  }

  override write(packet: Uint8Array): void {
    emitPlain(packet, this.writeScratch, this.writeFrame);
  }

  override writeBatch(packets: readonly Uint8Array[]): void {
    coalesce(packets, this.writeScratch, this.writeFrame);
  }
}

/** A handler's exception, raised as an uncaught exception (as from any other callback) instead of vanishing. */
function rethrowOnEventLoop(error: unknown): void {
  setImmediate(() => {
    throw error;
  });
}
