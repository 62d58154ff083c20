// Runs inside a test namespace (`ip netns exec NS node --import tsx test/interop/tun-offload-agent.ts MODE …`) for
// test/interop/tun-offload.test.ts and test/bench/tun-offload.bench.ts: a TUN device is created in the namespace of
// the process that opens it.
//
// MODE `kernel-segments 4|6`: TUN A with offloads, TUN B without, forwarding on, 198.51.100.0/24 and 2001:db8:0:1::/64
//   routed out of B. Two GSO super-packets are written into A: 30 segments of 1000 bytes merged by writeBatch, then
//   a hand-built one (TCP options, CWR PSH FIN, the ECN GSO bit, a shorter last segment) written to the fd as is. The
//   kernel must segment them to forward them out of B. Prints, as JSON, our segment() of both and the packets read
//   from B.
// MODE `relay OFFLOAD NS2 CHECK`: TUN A (offloads if OFFLOAD is 1) here with 198.18.1.1 and a route to 198.18.2.0/24;
//   TUN B (plain) moved to namespace NS2 with 198.18.2.1 and a route back. Packets read from A are written to B one
//   by one, packets read from B go to A with writeBatch each event-loop turn. With CHECK 1 every packet from A has
//   its checksums verified and the TCP byte stream from here to port 7 is rebuilt. Then JSON commands on stdin:
//   `send` (connect to 198.18.2.1:7, send bytes, expect them echoed), `send-udp` (datagrams to the same port, one at
//   a time, each echoed), `stats`, `close`.
// MODE `echo-server`: a TCP and UDP echo server on port 7; prints `ready`.
// MODE `create-persistent NAME UID`: root makes the persistent device NAME owned by UID (as the helper does).
// MODE `attach NAME 0|1`: opens NAME without or with offloads and prints, as JSON, the adapter's offload state and
//   what the kernel then reports for the device (vnet_hdr from `ip -d link`, TSO from `ethtool -k`).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { writeFileSync, writeSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  coalesce,
  FRAME_BUFFER_SIZE,
  parseVirtioNetHeader,
  segment,
  VIRTIO_NET_HDR_LEN,
  writeVirtioNetHeader,
} from '../../core/adapter/linux/tun-offload.js';
import { createPersistentTun, type LinuxTunAdapter, openLinuxTun } from '../../core/adapter/linux/tun.js';
import { serveAgent } from '../support/agent.js';
import * as tcp from '../support/tcp-packet.js';

export const ECHO_PORT = 7;
export const RELAY = { near: '198.18.1.1', far: '198.18.2.1' } as const;

export interface KernelSegments {
  ours: string[];
  kernel: string[];
  superPacketsWritten: number;
}

export interface RelayStats {
  offload: LinuxTunAdapter['offload'];
  a: {
    name: string;
    counters: LinuxTunAdapter['counters'];
    superPackets: LinuxTunAdapter['superPackets'];
    drops: object;
  };
  b: { counters: LinuxTunAdapter['counters'] };
  /** CPU time (user + system) of this process so far. */
  cpuMs: number;
  /** TCP packets read from A and checked (CHECK only). */
  checked: number;
  /** Of those, packets whose IPv4 header or TCP checksum was wrong. */
  badChecksums: number;
  /** Of those, packets larger than B's MTU. */
  oversized: number;
}

export interface Attached {
  offload: LinuxTunAdapter['offload'];
  vnetHdr: boolean;
  tso: boolean;
}

export type RelayCommand =
  | { op: 'send'; bytes: number }
  | { op: 'send-udp'; datagrams: number; size: number }
  | { op: 'stats' }
  | { op: 'close' };

const ip = (...args: string[]) => execFileSync('ip', args);
const mode = process.argv[2];

async function kernelSegments(ipv6: boolean): Promise<void> {
  const a = openLinuxTun('opa%d', { offload: true });
  const b = openLinuxTun('opb%d');
  if (!a.offload.active) throw new Error(`offloads refused: ${a.offload.refused}`);
  writeFileSync('/proc/sys/net/ipv4/ip_forward', '1');
  writeFileSync('/proc/sys/net/ipv6/conf/all/forwarding', '1');
  for (const dev of [a.name, b.name]) ip('link', 'set', dev, 'up');
  ip('addr', 'add', '198.18.0.1/32', 'dev', a.name);
  ip('addr', 'add', '198.18.0.2/32', 'dev', b.name);
  ip('route', 'add', '203.0.113.0/24', 'dev', a.name);
  ip('route', 'add', '198.51.100.0/24', 'dev', b.name);
  ip('-6', 'addr', 'add', '2001:db8:a::1/128', 'dev', a.name, 'nodad');
  ip('-6', 'addr', 'add', '2001:db8:b::1/128', 'dev', b.name, 'nodad');
  ip('-6', 'route', 'add', '2001:db8::/64', 'dev', a.name);
  ip('-6', 'route', 'add', '2001:db8:0:1::/64', 'dev', b.name);

  const count = 30;
  const size = 1000;
  const payload = tcp.payloadOf(count * size);
  const packets = Array.from({ length: count }, (_, i) =>
    tcp.tcpPacket({
      ipv6,
      payload: payload.subarray(i * size, (i + 1) * size),
      seq: 0x7ffffc00 + i * size,
      flags: i === count - 1 ? tcp.ACK | tcp.PSH : tcp.ACK,
      id: (0xfff0 + i) & 0xffff,
    }),
  );
  const frames: Buffer[] = [];
  coalesce(packets, new Uint8Array(FRAME_BUFFER_SIZE), (frame) => frames.push(Buffer.from(frame)));
  if (frames.length !== 1) throw new Error(`coalesce gave ${frames.length} frames`);
  const handBuilt = handBuiltFrame(ipv6);
  const ours: string[] = [];
  for (const frame of [frames[0]!, handBuilt]) {
    const parsed = parseVirtioNetHeader(frame);
    if (!parsed.ok) throw new Error(parsed.reason);
    const packet = Buffer.from(frame.subarray(VIRTIO_NET_HDR_LEN));
    const outcome = segment(parsed.header, packet, new Uint8Array(FRAME_BUFFER_SIZE), (p) =>
      ours.push(Buffer.from(p).toString('hex')),
    );
    if (!outcome.ok) throw new Error(outcome.reason);
  }

  const kernel: string[] = [];
  b.onPackets((packet) => {
    // only the test's flow: the devices also send their own IPv6 link-local traffic
    const isTcp = ipv6 ? packet[0]! >> 4 === 6 && packet[6] === 6 : packet[0]! >> 4 === 4 && packet[9] === 6;
    if (isTcp) kernel.push(Buffer.from(packet).toString('hex'));
  });
  a.writeBatch(packets);
  // the adapter keeps its fd to itself and writes only what it builds: the hand-built frame goes to the fd directly
  writeSync((a as unknown as { fd: number }).fd, handBuilt);
  for (let waited = 0; kernel.length < ours.length && waited < 3000; waited += 20) await sleep(20);
  const result: KernelSegments = {
    ours,
    kernel,
    superPacketsWritten: a.superPackets.written,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  a.close();
  b.close();
}

/** 12 segments of 1100 bytes and one of 300, behind a GSO header with NEEDS_CSUM and the ECN bit. */
function handBuiltFrame(ipv6: boolean): Buffer {
  const size = 1100;
  const packet = tcp.withPartialChecksum(
    tcp.tcpPacket({
      ipv6,
      payload: tcp.payloadOf(12 * size + 300),
      seq: 0xfffffe00,
      flags: tcp.ACK | tcp.PSH | tcp.FIN | tcp.CWR,
      id: 9,
      options: tcp.OPTIONS,
    }),
  );
  const ipHeader = ipv6 ? 40 : 20;
  const header = Buffer.alloc(VIRTIO_NET_HDR_LEN);
  writeVirtioNetHeader(
    {
      needsChecksum: true,
      gso: ipv6 ? 'tcpv6' : 'tcpv4',
      ecn: true,
      headerLength: ipHeader + 20 + tcp.OPTIONS.length,
      segmentSize: size,
      checksumStart: ipHeader,
      checksumOffset: 16,
    },
    header,
  );
  return Buffer.concat([header, packet]);
}

/** Rebuilds a TCP byte stream from its segments in whatever order they come, retransmissions included. */
class StreamRebuilder {
  private next: number | undefined;
  private readonly early = new Map<number, Buffer>();
  private readonly chunks: Buffer[] = [];
  outOfOrder = 0;

  add(packet: Uint8Array): void {
    const ipHeader = (packet[0]! & 0x0f) * 4;
    const view = Buffer.from(packet.buffer, packet.byteOffset, packet.length);
    if (view.readUInt16BE(ipHeader + 2) !== ECHO_PORT) return;
    const seq = view.readUInt32BE(ipHeader + 4);
    const flags = view[ipHeader + 13]!;
    if (flags & 0x02) {
      this.next = (seq + 1) >>> 0;
      return;
    }
    const data = view.subarray(ipHeader + (view[ipHeader + 12]! >> 4) * 4);
    if (this.next === undefined || data.length === 0) return;
    if (seq !== this.next) {
      // earlier than next: a retransmission of bytes already taken; later: keep until the gap fills
      if (((seq - this.next) | 0) > 0) {
        this.outOfOrder++;
        this.early.set(seq, Buffer.from(data));
      }
      return;
    }
    this.take(Buffer.from(data));
    for (let more = this.early.get(this.next); more; more = this.early.get(this.next)) {
      this.early.delete(this.next);
      this.take(more);
    }
  }

  private take(data: Buffer): void {
    this.chunks.push(data);
    this.next = (this.next! + data.length) >>> 0;
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function relay(offload: boolean, farNamespace: string, check: boolean): void {
  const a = openLinuxTun('opa%d', { offload });
  const b = openLinuxTun('opb%d');
  ip('link', 'set', a.name, 'up');
  ip('addr', 'add', `${RELAY.near}/32`, 'dev', a.name);
  ip('route', 'add', '198.18.2.0/24', 'dev', a.name);
  ip('link', 'set', b.name, 'netns', farNamespace);
  ip('-n', farNamespace, 'link', 'set', b.name, 'up');
  ip('-n', farNamespace, 'addr', 'add', `${RELAY.far}/32`, 'dev', b.name);
  ip('-n', farNamespace, 'route', 'add', '198.18.1.0/24', 'dev', b.name);
  const mtu = 1500;

  const stream = new StreamRebuilder();
  let checked = 0;
  let badChecksums = 0;
  let oversized = 0;
  a.onPackets((packet) => {
    const tcp4 = packet[0]! >> 4 === 4 && packet[9] === 6;
    const tcp6 = packet[0]! >> 4 === 6 && packet[6] === 6;
    if (check && (tcp4 || tcp6)) {
      checked++;
      if (!tcp.tcpPacketChecksumsValid(packet)) badChecksums++;
      if (packet.length > mtu) oversized++;
      if (tcp4) stream.add(packet);
    }
    b.write(packet);
  });
  let pending: Uint8Array[] = [];
  b.onPackets((packet) => {
    if (pending.length === 0) setImmediate(flush);
    pending.push(Uint8Array.from(packet));
  });
  const flush = () => {
    const batch = pending;
    pending = [];
    a.writeBatch(batch);
  };

  const stats = (): RelayStats => ({
    offload: a.offload,
    cpuMs: cpuMs(),
    a: { name: a.name, counters: a.counters, superPackets: a.superPackets, drops: a.drops },
    b: { counters: b.counters },
    checked,
    badChecksums,
    oversized,
  });
  serveAgent<RelayCommand>(async (command) => {
    switch (command.op) {
      case 'send': {
        const data = randomBytes(command.bytes);
        const echoed = await sendAndEcho(data);
        const rebuilt = stream.bytes();
        return {
          echoedIntact: echoed.equals(data),
          streamIntact: rebuilt.equals(data),
          rebuiltBytes: rebuilt.length,
          outOfOrder: stream.outOfOrder,
          ...stats(),
        };
      }
      case 'send-udp':
        return { echoedIntact: await udpEcho(command.datagrams, command.size), ...stats() };
      case 'stats':
        return stats();
      case 'close':
        a.close();
        b.close();
        process.stdin.destroy();
        return undefined;
    }
  });
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function sendAndEcho(data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: RELAY.far, port: ECHO_PORT, localAddress: RELAY.near });
    const chunks: Buffer[] = [];
    let received = 0;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`echo timed out after ${received} of ${data.length} bytes`));
    }, 20_000);
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received >= data.length) {
        clearTimeout(timer);
        socket.end();
        resolve(Buffer.concat(chunks));
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.write(data);
  });
}

function attachTo(name: string, offload: boolean): void {
  const adapter = openLinuxTun(name, { offload });
  const link = execFileSync('ip', ['-d', 'link', 'show', name], { encoding: 'utf8' });
  const features = execFileSync('ethtool', ['-k', name], { encoding: 'utf8' });
  const result: Attached = {
    offload: adapter.offload,
    vnetHdr: /vnet_hdr on/.test(link),
    tso: /^tcp-segmentation-offload: on/m.test(features),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  adapter.close();
}

/**
 * Sends `datagrams` UDP datagrams of `size` random bytes to the echo port one at a time; how many came back equal.
 * A local UDP socket on a device with checksum offload leaves its checksum partial (NEEDS_CSUM without GSO).
 */
async function udpEcho(datagrams: number, size: number): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, RELAY.near, resolve));
  let intact = 0;
  try {
    for (let i = 0; i < datagrams; i++) {
      const data = randomBytes(size);
      const echo = new Promise<Buffer | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), 2000);
        socket.once('message', (message) => {
          clearTimeout(timer);
          resolve(message);
        });
      });
      socket.send(data, ECHO_PORT, RELAY.far);
      if ((await echo)?.equals(data)) intact++;
    }
  } finally {
    socket.close();
  }
  return intact;
}

/** TCP and UDP echo on port 7. */
function echoServer(): void {
  const server = createServer((socket) => {
    socket.on('error', () => socket.destroy());
    socket.pipe(socket);
  });
  const udp = createSocket('udp4');
  udp.on('message', (message, from) => udp.send(message, from.port, from.address));
  udp.bind(ECHO_PORT, () => server.listen(ECHO_PORT, () => process.stdout.write('ready\n')));
}

// last: the modes use the classes above, which do not exist before their declarations run
if (mode === 'kernel-segments') await kernelSegments(process.argv[3] === '6');
else if (mode === 'relay') relay(process.argv[3] === '1', process.argv[4]!, process.argv[5] === '1');
else if (mode === 'echo-server') echoServer();
else if (mode === 'create-persistent') {
  const uid = Number(process.argv[4]);
  createPersistentTun(process.argv[3]!, { uid, gid: uid });
} else if (mode === 'attach') attachTo(process.argv[3]!, process.argv[4] === '1');
else throw new Error(`unknown mode ${mode}`);
