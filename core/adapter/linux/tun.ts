/**
 * A Linux TUN device (IFF_TUN | IFF_NO_PI: bare IP packets, one per read or write) driven from the event loop:
 * ioctl(TUNSETIFF) through koffi, then poll-for-readable and read(2) until EAGAIN. A blocking fs.read on a TUN fd
 * would sit in the thread pool, keep the process from exiting and run several times slower.
 *
 * A device opened here is not persistent: it disappears, with its addresses and routes, when the fd is closed or the
 * process dies. The privileged helper instead makes a persistent device owned by the user whose engine then opens it
 * (the kernel lets a TUN's owner attach to it without CAP_NET_ADMIN); the helper deletes it when the session ends.
 */
import { closeSync, constants, openSync } from 'node:fs';
import { constants as os } from 'node:os';
import type koffi from 'koffi';
import { ffi } from './ffi.js';
import { adapterError } from '../adapter-error.js';
import type { VirtualAdapter } from '../types.js';

const TUN_DEVICE = '/dev/net/tun';
const TUNSETIFF = 0x400454ca;
const TUNSETPERSIST = 0x400454cb;
const TUNSETOWNER = 0x400454cc;
const TUNSETGROUP = 0x400454ce;
const IFF_TUN = 0x0001;
const IFF_NO_PI = 0x1000;
/** Fail rather than attach when a device of that name exists: the helper must never hand out someone else's. */
const IFF_TUN_EXCL = 0x8000;
const IFNAMSIZ = 16;
const F_DUPFD_CLOEXEC = 1030;
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
  dup(fd: number): number;
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
  const dup = lib.func('int fcntl(int fd, int cmd, int arg)');
  libc = {
    ioctl: (fd, request, arg) => ioctl(fd, request, arg) as number,
    ioctlValue: (fd, request, value) => ioctlValue(fd, request, value) as number,
    read: (fd, buffer, count) => read(fd, buffer, count) as number,
    write: (fd, buffer, count) => write(fd, buffer, count) as number,
    // F_DUPFD_CLOEXEC: a copy no child process inherits
    dup: (fd) => dup(fd, F_DUPFD_CLOEXEC, 0) as number,
  };
  return libc;
}

function errnoName(errno: number): string {
  return Object.entries(os.errno).find(([, value]) => value === errno)?.[0] ?? `errno ${errno}`;
}

/**
 * Creates a TUN device named `name` (default: the first free `outpost<N>`) in the calling process's network
 * namespace, or attaches to the persistent one of that name this user owns. Creating needs root or CAP_NET_ADMIN.
 * The device has no address and is down until a NetworkConfigurator applies a plan to it.
 */
export function openLinuxTun(name = 'outpost%d'): VirtualAdapter {
  const { fd, name: actualName } = attach(name, 0);
  return new LinuxTun(fd, actualName, loadLibc());
}

/**
 * The adapter another thread of this process opened (its `fd`), on a descriptor of its own: the data-path worker
 * reads and writes the device through it, and closing either leaves the other working.
 */
export function adoptLinuxTun(fd: number, name: string): VirtualAdapter {
  const libc = loadLibc();
  const own = libc.dup(fd);
  if (own < 0) {
    throw adapterError('The virtual network adapter could not be used.', `dup ${name}: ${errnoName(ffi().errno())}`);
  }
  return new LinuxTun(own, name, libc);
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

class LinuxTun implements VirtualAdapter {
  readonly counters = { readPackets: 0, writePackets: 0, writeErrors: 0, readErrors: 0 };
  /** One buffer for every read: the handler sees a view of it that the next read overwrites. */
  private readonly buffer = Buffer.alloc(READ_BUFFER);
  private handler: ((packet: Uint8Array) => void) | undefined;
  private drained: (() => void) | undefined;
  private poller: koffi.node.PollHandle | undefined;
  private closed = false;

  constructor(
    /** The descriptor another thread may adopt (adoptLinuxTun). */
    readonly fd: number,
    readonly name: string,
    private readonly libc: Libc,
  ) {}

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

  /** Up to RUN packets to the handler; false once the device has nothing more (or the handler threw). */
  private readRun(): boolean {
    const { fd, buffer } = this;
    for (let i = 0; i < RUN && !this.closed; ) {
      const n = this.libc.read(fd, buffer, READ_BUFFER);
      if (n <= 0) {
        const errno = n < 0 ? ffi().errno() : 0;
        if (errno === os.errno.EINTR) continue;
        // EAGAIN: drained until the next readable event
        if (errno !== os.errno.EAGAIN) this.counters.readErrors++;
        return false;
      }
      i++;
      this.counters.readPackets++;
      try {
        this.handler?.(buffer.subarray(0, n));
      } catch (error) {
        setImmediate(() => {
          throw error;
        });
        return false;
      }
    }
    return !this.closed;
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
