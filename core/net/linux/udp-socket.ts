/**
 * A UDP socket for the ESP data path that moves datagrams in batches: recvmmsg on poll-for-readable, sendmmsg (with
 * UDP GSO where the kernel takes it) for a burst, all through koffi on memory laid out once. node:dgram costs a
 * syscall, a libuv turn and a Buffer per datagram; here a burst of 64 costs one syscall and no allocation, and it
 * runs as well inside a worker_thread as on the main thread.
 *
 * The socket is not connected: the gateway talks from two ports (500 and 4500), so it passes on only what comes
 * from the gateway's address, with the port it came from. Linux on 64-bit little-endian CPUs (x86_64, aarch64):
 * the struct offsets below are theirs.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { constants as os } from 'node:os';
import type koffi from 'koffi';
import { duplicateDescriptor, errnoName, ffi } from '../../adapter/linux/ffi.js';
import { OutpostError } from '../../errors.js';
import { formatIp, parseIp } from '../address.js';

const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_UDP = 17;
const UDP_SEGMENT = 103;
const UDP_GRO = 104;
const SOL_SOCKET = 1;
const SO_SNDBUF = 7;
const SO_RCVBUF = 8;
const MSG_TRUNC = 0x20;

/** Datagrams per recvmmsg / sendmmsg call. */
const BATCH = 64;
/** recvmmsg calls per readable event before the event loop gets a turn (level-triggered: the rest waits). */
const ROUNDS = 8;
/** A receive slot holds the largest datagram, or the largest run GRO glues together. */
const SLOT = 65536;
/** The kernel refuses a GSO send of more segments (UDP_MAX_SEGMENTS: 64 in older kernels, 128 in newer). */
const GSO_SEGMENTS = 64;
/**
 * Datagrams one read may bring glued in a slot: GRO glues at most 64, but a GSO send over loopback arrives whole,
 * with up to the sending kernel's UDP_MAX_SEGMENTS.
 */
const GLUED_SEGMENTS = 128;
/** A GSO send is one UDP datagram to the kernel until it is cut: its payload must fit one IP packet's length field. */
const GSO_BYTES = 65535 - 8 - 40;
/** The largest UDP payload over IPv4 (IPv6 allows 20 bytes more; no ESP datagram comes near either). */
const MAX_DATAGRAM = 65507;
/**
 * Socket buffers asked for (the kernel caps them at net.core.[rw]mem_max): the 208 KB default holds about 70
 * full-size datagrams, a few milliseconds at the rates the data path aims for.
 */
const SOCKET_BUFFER = 4 << 20;
/** Where sendBatch gathers a burst; a larger burst goes out in several calls. */
const SEND_POOL = 1 << 20;

// struct layouts of LP64 Linux (x86_64, aarch64)
const IOVEC = 16; // void *iov_base; size_t iov_len
const MSGHDR_NAME = 0; // void *msg_name
const MSGHDR_NAMELEN = 8; // socklen_t msg_namelen
const MSGHDR_IOV = 16; // struct iovec *msg_iov
const MSGHDR_IOVLEN = 24; // size_t msg_iovlen
const MSGHDR_CONTROL = 32; // void *msg_control
const MSGHDR_CONTROLLEN = 40; // size_t msg_controllen
const MSGHDR_FLAGS = 48; // int msg_flags
const MMSGHDR_LEN = 56; // unsigned int msg_len, after the 56-byte msghdr
const MMSGHDR = 64;
/** sockaddr_in6 is 28 bytes; sockaddr_in 16. */
const NAME = 32;
/** cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type } then the data, 8-byte aligned. */
const CMSG_HEADER = 16;
/** CMSG_SPACE(sizeof(int)): room for the one cmsg either way (UDP_GRO in, UDP_SEGMENT out). */
const CONTROL = 24;
/** CMSG_LEN(sizeof(uint16_t)) for UDP_SEGMENT. */
const SEGMENT_CMSG_LEN = CMSG_HEADER + 2;

interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, address: Uint8Array, length: number): number;
  getsockname(fd: number, address: Uint8Array, length: Uint32Array): number;
  setsockopt(fd: number, level: number, name: number, value: Uint8Array, length: number): number;
  recvmmsg(fd: number, vector: Uint8Array, count: number, flags: number, timeout: null): number;
  sendmmsg(fd: number, vector: Uint8Array, count: number, flags: number): number;
  close(fd: number): number;
  /** The address of a buffer's first byte (memmove of 0 bytes returns its destination). */
  address(buffer: Uint8Array): number;
}

let libc: Libc | undefined;

function loadLibc(): Libc {
  if (libc) return libc;
  const lib = ffi().load('libc.so.6');
  const socket = lib.func('int socket(int domain, int type, int protocol)');
  const bind = lib.func('int bind(int fd, const uint8_t *addr, uint32_t len)');
  const getsockname = lib.func('int getsockname(int fd, _Inout_ uint8_t *addr, _Inout_ uint32_t *len)');
  const setsockopt = lib.func('int setsockopt(int fd, int level, int name, const uint8_t *value, uint32_t len)');
  const recvmmsg = lib.func('int recvmmsg(int fd, uint8_t *vec, unsigned int vlen, int flags, void *timeout)');
  const sendmmsg = lib.func('int sendmmsg(int fd, uint8_t *vec, unsigned int vlen, int flags)');
  const close = lib.func('int close(int fd)');
  const memmove = lib.func('memmove', 'uintptr_t', ['uint8_t *', 'uint8_t *', 'size_t']);
  libc = {
    socket: (domain, type, protocol) => socket(domain, type, protocol) as number,
    bind: (fd, address, length) => bind(fd, address, length) as number,
    getsockname: (fd, address, length) => getsockname(fd, address, length) as number,
    setsockopt: (fd, level, name, value, length) => setsockopt(fd, level, name, value, length) as number,
    recvmmsg: (fd, vector, count, flags, timeout) => recvmmsg(fd, vector, count, flags, timeout) as number,
    sendmmsg: (fd, vector, count, flags) => sendmmsg(fd, vector, count, flags) as number,
    close: (fd) => close(fd) as number,
    address: (buffer) => memmove(buffer, buffer, 0) as number,
  };
  return libc;
}

/** What a read brought: `count` datagrams from the gateway, each with the port it came from. */
export interface ReceivedBatch {
  readonly count: number;
  /** A view of the receive pool, valid only until the handler returns: consume or copy it first. */
  data(i: number): Uint8Array;
  port(i: number): number;
}

export interface BatchUdpSocketOptions {
  /** Send runs of equal-size datagrams as one UDP GSO send (default: on; off when the kernel refuses it). */
  gso?: boolean;
  /**
   * Ask the kernel for UDP GRO (default: on): runs of equal-size datagrams from the gateway arrive glued together, one
   * receive entry for up to 64 of them, and are cut here. It glues what a GSO sender sent (loopback, veth) and what a
   * receive path with NAPI GRO coalesced; a kernel that lacks it (before 5.0) ignores the option.
   */
  gro?: boolean;
}

export interface BatchUdpCounters {
  receivedDatagrams: number;
  /** From an address other than the gateway's: not passed on. */
  foreignDatagrams: number;
  /** Larger than a receive slot, or more glued together than a slot's share of the batch: not passed on. */
  truncatedDatagrams: number;
  readErrors: number;
  sentDatagrams: number;
  /** Send messages the kernel cut into several datagrams (UDP GSO). */
  segmentedSends: number;
  /** Reads that brought several datagrams glued together (UDP GRO). */
  gluedReads: number;
  /** Refused by the kernel (a full socket buffer, EAGAIN, ENOBUFS), too large, or sent after close(). */
  sendDrops: number;
}

/** A sockaddr_in / sockaddr_in6 for `address`, port 0. */
function socketAddress(address: string, what: string): { family: number; bytes: Uint8Array } {
  const ip = isIPv4(address) || isIPv6(address) ? parseIp(address) : undefined;
  if (!ip) {
    throw new OutpostError('network', 'The VPN was given a network address it cannot use.', {
      detail: `${what} "${address}" is not an IP address`,
    });
  }
  const family = ip.length === 4 ? AF_INET : AF_INET6;
  const bytes = new Uint8Array(ip.length === 4 ? 16 : 28);
  new DataView(bytes.buffer).setUint16(0, family, true);
  bytes.set(ip, ip.length === 4 ? 4 : 8);
  return { family, bytes };
}

function supportedHere(): void {
  if (process.platform !== 'linux' || (process.arch !== 'x64' && process.arch !== 'arm64')) {
    throw new OutpostError('unsupported', 'This fast network path runs only on 64-bit Linux (x86-64 or ARM64).', {
      detail: `${process.platform} ${process.arch}`,
    });
  }
}

/** The address and port a socket is bound to, or undefined (errno tells why). */
function boundAddress(fd: number, lib: Libc): { address: string; port: number } | undefined {
  const name = new Uint8Array(NAME);
  const nameLength = Uint32Array.of(NAME);
  if (lib.getsockname(fd, name, nameLength) < 0) return undefined;
  const family = name[0]! | (name[1]! << 8);
  return {
    port: (name[2]! << 8) | name[3]!,
    address: formatIp(family === AF_INET ? name.subarray(4, 8) : name.subarray(8, 24)),
  };
}

export class BatchUdpSocket {
  readonly counters: BatchUdpCounters = {
    receivedDatagrams: 0,
    foreignDatagrams: 0,
    truncatedDatagrams: 0,
    readErrors: 0,
    sentDatagrams: 0,
    segmentedSends: 0,
    gluedReads: 0,
    sendDrops: 0,
  };

  // Everything the kernel reads or writes lives in Buffers made once: their memory never moves, so the pointers
  // written into the headers at construction stay right for the socket's life. No koffi struct: koffi copies a
  // struct argument on every call, and cannot point an iovec at a JS buffer.
  private readonly receivePool = Buffer.alloc(BATCH * SLOT);
  private readonly sendPool = Buffer.alloc(SEND_POOL);
  /** receive mmsghdr[BATCH] | send mmsghdr[BATCH] | iovec[2 * BATCH] | names[BATCH + 1] | controls[2 * BATCH] */
  private readonly headers = Buffer.alloc(
    2 * BATCH * MMSGHDR + 2 * BATCH * IOVEC + (BATCH + 1) * NAME + 2 * BATCH * CONTROL,
  );
  private readonly receiveVector: Uint8Array;
  private readonly sendVector: Uint8Array;
  /** The same bytes as `headers`, read and written a 32-bit word at a time (all fields used are 4-byte aligned). */
  private readonly words: Uint32Array;
  private readonly iovecs: number;
  private readonly names: number;
  private readonly receiveControls: number;
  private readonly sendControls: number;
  private readonly sendPoolAddress: number;
  /** Word index of the gateway's sockaddr, the destination of every send. */
  private readonly destination: number;
  /** The gateway's address as the 32-bit words it has at the source address of a received sockaddr. */
  private readonly remoteWords: Uint32Array;
  private readonly remoteOffset: number;

  // the batch the handler sees: entries of the last read, as offsets into receivePool
  private readonly starts = new Int32Array(BATCH * GLUED_SEGMENTS);
  private readonly lengths = new Int32Array(BATCH * GLUED_SEGMENTS);
  private readonly ports = new Uint16Array(BATCH * GLUED_SEGMENTS);
  private batchCount = 0;
  private readonly batch: ReceivedBatch;

  // the messages gathered for one sendmmsg: the index of each one's first datagram, and how many it carries
  private readonly messageFirst = new Uint32Array(BATCH);
  private readonly messageSegments = new Uint16Array(BATCH);
  private messages = 0;

  private gso: boolean;
  private handler: ((batch: ReceivedBatch) => void) | undefined;
  private poller: koffi.node.PollHandle | undefined;
  private closed = false;

  private constructor(
    /** For socket options the caller may want (SO_MARK, IP_TOS); never to read or write through. */
    readonly fd: number,
    private readonly libc: Libc,
    readonly localAddress: string,
    readonly localPort: number,
    readonly remoteAddress: string,
    remote: { family: number; bytes: Uint8Array },
    options: BatchUdpSocketOptions,
  ) {
    this.gso = options.gso ?? true;
    const { headers } = this;
    this.words = new Uint32Array(headers.buffer, headers.byteOffset, headers.length / 4);
    this.receiveVector = headers.subarray(0, BATCH * MMSGHDR);
    this.sendVector = headers.subarray(BATCH * MMSGHDR, 2 * BATCH * MMSGHDR);
    const iovecs = 2 * BATCH * MMSGHDR;
    this.iovecs = iovecs;
    this.names = iovecs + 2 * BATCH * IOVEC;
    const destination = this.names + BATCH * NAME;
    this.receiveControls = destination + NAME;
    this.sendControls = this.receiveControls + BATCH * CONTROL;
    this.destination = destination / 4;
    headers.set(remote.bytes, destination);

    const base = libc.address(headers);
    const receivePool = libc.address(this.receivePool);
    const sendPool = libc.address(this.sendPool);
    for (let i = 0; i < BATCH; i++) {
      const receive = i * MMSGHDR;
      const receiveIov = iovecs + i * IOVEC;
      headers.writeBigUInt64LE(BigInt(base + this.names + i * NAME), receive + MSGHDR_NAME);
      headers.writeBigUInt64LE(BigInt(base + receiveIov), receive + MSGHDR_IOV);
      headers.writeBigUInt64LE(1n, receive + MSGHDR_IOVLEN);
      headers.writeBigUInt64LE(BigInt(base + this.receiveControls + i * CONTROL), receive + MSGHDR_CONTROL);
      headers.writeBigUInt64LE(BigInt(receivePool + i * SLOT), receiveIov);
      headers.writeBigUInt64LE(BigInt(SLOT), receiveIov + 8);

      const send = (BATCH + i) * MMSGHDR;
      const sendIov = iovecs + (BATCH + i) * IOVEC;
      const control = this.sendControls + i * CONTROL;
      headers.writeBigUInt64LE(BigInt(base + destination), send + MSGHDR_NAME);
      headers.writeUInt32LE(remote.bytes.length, send + MSGHDR_NAMELEN);
      headers.writeBigUInt64LE(BigInt(base + sendIov), send + MSGHDR_IOV);
      headers.writeBigUInt64LE(1n, send + MSGHDR_IOVLEN);
      headers.writeBigUInt64LE(BigInt(base + control), send + MSGHDR_CONTROL);
      // the iovec's base is set per send: an offset into sendPool
      headers.writeBigUInt64LE(BigInt(sendPool), sendIov);
      headers.writeBigUInt64LE(BigInt(SEGMENT_CMSG_LEN), control);
      headers.writeInt32LE(SOL_UDP, control + 8);
      headers.writeInt32LE(UDP_SEGMENT, control + 12);
    }
    this.sendPoolAddress = sendPool;

    this.remoteOffset = remote.family === AF_INET ? 4 : 8;
    this.remoteWords = new Uint32Array(
      remote.bytes.slice(this.remoteOffset, this.remoteOffset + (remote.family === AF_INET ? 4 : 16)).buffer,
    );

    const { starts, lengths, ports, receivePool: pool } = this;
    const self = this;
    this.batch = {
      get count() {
        return self.batchCount;
      },
      data: (i) => pool.subarray(starts[i], starts[i]! + lengths[i]!),
      port: (i) => ports[i]!,
    };
  }

  /**
   * A socket bound to `localAddress` (the address this computer reaches the gateway from) on a port the kernel
   * picks, passing on only what comes from `remoteAddress`. Each call makes a new, independent socket: moving to a
   * new local address is opening another one and closing this.
   */
  static open(localAddress: string, remoteAddress: string, options: BatchUdpSocketOptions = {}): BatchUdpSocket {
    supportedHere();
    const local = socketAddress(localAddress, 'local address');
    const remote = socketAddress(remoteAddress, 'gateway address');
    if (local.family !== remote.family) {
      throw new OutpostError('network', 'The VPN cannot reach the gateway from this network address.', {
        detail: `local address ${localAddress} and gateway ${remoteAddress} are of different IP versions`,
      });
    }
    const lib = loadLibc();
    const fd = lib.socket(local.family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      throw new OutpostError('network', 'The VPN could not open a network connection on this computer.', {
        detail: `socket: ${errnoName(ffi().errno())}`,
      });
    }
    const fail = (message: string, what: string): never => {
      const detail = `${what}: ${errnoName(ffi().errno())}`;
      lib.close(fd);
      throw new OutpostError('network', message, { detail });
    };
    if (lib.bind(fd, local.bytes, local.bytes.length) < 0) {
      fail('The VPN could not use the network address of this computer.', `bind ${localAddress}`);
    }
    const bound = boundAddress(fd, lib);
    if (!bound) fail('The VPN could not open a network connection.', 'getsockname');
    const { address, port } = bound!;
    const buffer = new Uint8Array(Int32Array.of(SOCKET_BUFFER).buffer);
    lib.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, buffer, 4);
    lib.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, buffer, 4);
    // a kernel without UDP GRO (before 5.0) refuses the option: datagrams then simply arrive one by one
    if (options.gro ?? true) lib.setsockopt(fd, SOL_UDP, UDP_GRO, Uint8Array.of(1, 0, 0, 0), 4);
    return new BatchUdpSocket(fd, lib, address, port, remoteAddress, remote, options);
  }

  /**
   * The socket another thread of this process opened (its `fd`), on a descriptor of this thread's own, with its
   * options as they were set: how the data-path worker takes over the socket the IKE session started on.
   */
  static adopt(fd: number, remoteAddress: string, options: BatchUdpSocketOptions = {}): BatchUdpSocket {
    supportedHere();
    const remote = socketAddress(remoteAddress, 'gateway address');
    const lib = loadLibc();
    const own = duplicateDescriptor(fd);
    const bound = own < 0 ? undefined : boundAddress(own, lib);
    if (!bound) {
      const detail = `${own < 0 ? 'dup' : 'getsockname'}: ${errnoName(ffi().errno())}`;
      if (own >= 0) lib.close(own);
      throw new OutpostError('network', 'The VPN could not take over its network connection.', { detail });
    }
    return new BatchUdpSocket(own, lib, bound.address, bound.port, remoteAddress, remote, options);
  }

  /** Stops reading, keeping the descriptor: another thread is taking the socket over (adopt). close() still closes. */
  pause(): void {
    this.poller?.close();
    this.poller = undefined;
  }

  /** Whether sends still use UDP GSO: false when asked so or once the kernel refused it. */
  get gsoEnabled(): boolean {
    return this.gso;
  }

  /**
   * `handler` gets each read's datagrams from the gateway as one batch (see ReceivedBatch: views valid until it
   * returns). A later call replaces the handler. An exception from the handler is rethrown on the event loop, as
   * from any other callback, instead of vanishing inside the poll callback.
   */
  onDatagrams(handler: (batch: ReceivedBatch) => void): void {
    this.handler = handler;
    if (this.poller || this.closed) return;
    // level-triggered: whatever a round leaves unread makes the fd readable again on the next loop iteration
    this.poller = ffi().node.poll(this.fd, { readable: true }, () => this.drain());
  }

  private drain(): void {
    for (let round = 0; round < ROUNDS && !this.closed; round++) {
      const received = this.receive();
      if (received < 0) return;
      if (this.batchCount > 0) {
        try {
          this.handler?.(this.batch);
        } catch (error) {
          setImmediate(() => {
            throw error;
          });
          return;
        }
      }
      if (received < BATCH) return;
    }
  }

  /** One recvmmsg into the pool, its datagrams from the gateway listed in the batch; the number read, or -1. */
  private receive(): number {
    const { words, headers } = this;
    for (let i = 0; i < BATCH; i++) {
      const w = (i * MMSGHDR) / 4;
      words[w + MSGHDR_NAMELEN / 4] = NAME;
      words[w + MSGHDR_CONTROLLEN / 4] = CONTROL;
    }
    let n: number;
    do n = this.libc.recvmmsg(this.fd, this.receiveVector, BATCH, 0, null);
    while (n < 0 && ffi().errno() === os.errno.EINTR);
    this.batchCount = 0;
    if (n < 0) {
      // EAGAIN: drained until the next readable event
      if (ffi().errno() !== os.errno.EAGAIN) this.counters.readErrors++;
      return -1;
    }
    const { remoteWords, starts, lengths, ports, counters } = this;
    const addressWord = this.remoteOffset / 4;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const w = (i * MMSGHDR) / 4;
      const length = words[w + MMSGHDR_LEN / 4]!;
      const name = (this.names + i * NAME) / 4;
      let foreign = false;
      for (let k = 0; k < remoteWords.length; k++) {
        if (words[name + addressWord + k] !== remoteWords[k]) foreign = true;
      }
      if (foreign) {
        counters.foreignDatagrams++;
        continue;
      }
      if ((words[w + MSGHDR_FLAGS / 4]! & MSG_TRUNC) !== 0) {
        counters.truncatedDatagrams++;
        continue;
      }
      const port = (headers[name * 4 + 2]! << 8) | headers[name * 4 + 3]!;
      // GRO glued equal-size datagrams together and says how long each was
      let segment = length;
      const control = this.receiveControls + i * CONTROL;
      if (words[w + MSGHDR_CONTROLLEN / 4]! >= CMSG_HEADER + 4 && words[control / 4 + 2] === SOL_UDP) {
        if (words[control / 4 + 3] === UDP_GRO) segment = words[control / 4 + 4]! || length;
      }
      if (segment < length) counters.gluedReads++;
      if (Math.ceil(length / segment) > GLUED_SEGMENTS) {
        counters.truncatedDatagrams += Math.ceil(length / segment);
        continue;
      }
      let start = i * SLOT;
      const end = start + length;
      do {
        starts[count] = start;
        lengths[count] = Math.min(segment, end - start);
        ports[count] = port;
        count++;
        start += segment;
      } while (start < end);
    }
    counters.receivedDatagrams += count;
    this.batchCount = count;
    return n;
  }

  /** One IKE message (or any lone datagram) to the gateway's `port`. */
  send(datagram: Uint8Array, port: number): void {
    this.sendBatch([datagram], port);
  }

  /**
   * `datagrams` to the gateway's `port`, in order, in as few system calls as the burst allows: one sendmmsg per 64
   * messages, each message a run of equal-size datagrams (the last may be shorter) cut by the kernel (UDP GSO), or a
   * single datagram. Never throws: what the kernel refuses (a full buffer) is counted in `counters.sendDrops`.
   */
  sendBatch(datagrams: readonly Uint8Array[], port: number): void {
    if (!Number.isInteger(port) || port <= 0 || port > 0xffff) {
      throw new OutpostError('network', 'The VPN tried to reach the gateway on an invalid port.', {
        detail: `port ${port}`,
      });
    }
    if (this.closed) {
      this.counters.sendDrops += datagrams.length;
      return;
    }
    const destination = this.destination * 4;
    this.headers[destination + 2] = port >> 8;
    this.headers[destination + 3] = port & 0xff;
    let next = 0;
    while (next < datagrams.length) next = this.flush(this.gather(datagrams, next));
  }

  /**
   * Copies datagrams from `next` on into the send pool as up to BATCH messages; the index after the last one taken.
   * A datagram too large for UDP is dropped here.
   */
  private gather(datagrams: readonly Uint8Array[], next: number): number {
    const { sendPool, messageFirst, messageSegments } = this;
    let used = 0;
    this.messages = 0;
    while (next < datagrams.length && this.messages < BATCH) {
      const first = datagrams[next]!;
      const size = first.length;
      if (size > MAX_DATAGRAM) {
        this.counters.sendDrops++;
        next++;
        continue;
      }
      if (used + size > SEND_POOL) break;
      const m = this.messages++;
      messageFirst[m] = next++;
      sendPool.set(first, used);
      let length = size;
      let segments = 1;
      if (this.gso && size > 0) {
        while (next < datagrams.length && segments < GSO_SEGMENTS) {
          const d = datagrams[next]!;
          const fits = length + d.length <= GSO_BYTES && used + length + d.length <= SEND_POOL;
          if (d.length > size || d.length === 0 || !fits) break;
          sendPool.set(d, used + length);
          length += d.length;
          segments++;
          next++;
          // a shorter one ends the run
          if (d.length < size) break;
        }
      }
      messageSegments[m] = segments;
      this.setMessage(m, used, length, segments > 1 ? size : 0);
      used += length;
    }
    return next;
  }

  /** Points send message `m` at pool bytes [offset, offset + length), cut into `segmentSize` pieces if not 0. */
  private setMessage(m: number, offset: number, length: number, segmentSize: number): void {
    const { words } = this;
    const w = ((BATCH + m) * MMSGHDR) / 4;
    const iov = (this.iovecs + (BATCH + m) * IOVEC) / 4;
    const address = this.sendPoolAddress + offset;
    words[iov] = address >>> 0;
    words[iov + 1] = Math.floor(address / 2 ** 32);
    words[iov + 2] = length;
    // msg_controllen: the UDP_SEGMENT cmsg, or none
    words[w + MSGHDR_CONTROLLEN / 4] = segmentSize > 0 ? CONTROL : 0;
    if (segmentSize > 0) this.headers.writeUInt16LE(segmentSize, this.sendControls + m * CONTROL + CMSG_HEADER);
  }

  /**
   * Sends the gathered messages; the index of the datagram to gather from next: `next`, or, when the kernel refused
   * GSO, the first datagram of the refused message (sent again one by one, GSO now off for good).
   */
  private flush(next: number): number {
    const { counters, messageSegments, messages } = this;
    let done = 0;
    while (done < messages) {
      const vector = done === 0 ? this.sendVector : this.sendVector.subarray(done * MMSGHDR);
      const n = this.libc.sendmmsg(this.fd, vector, messages - done, 0);
      if (n > 0) {
        for (let m = done; m < done + n; m++) {
          counters.sentDatagrams += messageSegments[m]!;
          if (messageSegments[m]! > 1) counters.segmentedSends++;
        }
        done += n;
        continue;
      }
      const errno = ffi().errno();
      if (errno === os.errno.EINTR) continue;
      if ((errno === os.errno.EINVAL || errno === os.errno.EIO) && this.gso && messageSegments[done]! > 1) {
        // the kernel or the device does not do UDP GSO (EIO: no checksum offload; EINVAL: no UDP_SEGMENT)
        this.gso = false;
        return this.messageFirst[done]!;
      }
      if (errno === os.errno.EAGAIN || errno === os.errno.ENOBUFS) {
        // the socket buffer is full: the rest of the burst would meet the same, so it is dropped as a router would
        for (let m = done; m < messages; m++) counters.sendDrops += messageSegments[m]!;
        return next;
      }
      // refused for this message alone (EMSGSIZE, no route): drop it, send the others
      counters.sendDrops += messageSegments[done]!;
      done++;
    }
    return next;
  }

  /** Stops polling and closes the socket; idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    // libuv: the fd may be closed right after the poll handle is stopped, never while it is polled
    this.poller?.close();
    this.poller = undefined;
    // libc's close, not fs.closeSync: inside a worker_thread node warns about closing an fd fs did not open
    this.libc.close(this.fd);
  }
}
