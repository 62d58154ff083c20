// Packets in and out of a namespace: capture with dumpcap (UDP payloads, the MSS of TCP SYNs), send arbitrary UDP
// datagrams through a raw socket, receive them with a plain one, and find the UDP ports a process has open.
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PYTHON3, stopChild, type TestNetwork } from './netns.js';

const START_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 2000;
/** The only prefixes test traffic may target (RFC 5737 documentation nets and the RFC 2544 benchmark /15). */
const TEST_PREFIXES: [number, number][] = [
  [ipv4('192.0.2.0'), 24],
  [ipv4('198.51.100.0'), 24],
  [ipv4('203.0.113.0'), 24],
  [ipv4('198.18.0.0'), 15],
];

export interface UdpSendOptions {
  to: string;
  port: number;
  /**
   * Source of the datagram. Without a port, a random one from 49152-65535. With an address, the IP header is written
   * too (IP_HDRINCL), so the datagram may claim any source, e.g. the peer's address seen through NAT.
   */
  from?: { address?: string; port?: number };
  /** One datagram, or several sent in order from one process (a replay test's original and copies). */
  payload: Uint8Array | readonly Uint8Array[];
}

/**
 * Sends UDP datagrams from inside `ns` through a raw socket: the socket writes the UDP header itself, so the source
 * port may be one that a daemon there (the gateway's 4500) has bound. The UDP checksum is 0 (none, RFC 768).
 */
export function sendUdp(net: TestNetwork, ns: string, options: UdpSendOptions): Promise<void>;
/** @deprecated The positional form of sendUdp(net, ns, { to, port, from: { port: fromPort }, payload: payloads }). */
export function sendUdp(
  net: TestNetwork,
  ns: string,
  to: string,
  port: number,
  fromPort: number,
  payloads: Uint8Array[],
): Promise<void>;
export async function sendUdp(
  net: TestNetwork,
  ns: string,
  target: UdpSendOptions | string,
  port?: number,
  fromPort?: number,
  payloads?: Uint8Array[],
): Promise<void> {
  const options: UdpSendOptions =
    typeof target === 'string'
      ? { to: target, port: port ?? 0, from: { port: fromPort }, payload: payloads ?? [] }
      : target;
  assertTestAddress(options.to);
  if (options.from?.address !== undefined) assertTestAddress(options.from.address);
  const list: readonly Uint8Array[] = options.payload instanceof Uint8Array ? [options.payload] : options.payload;
  const script = [
    'import socket, struct, sys',
    'to, port, src, sport = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])',
    's = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)',
    'if src: s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)',
    'for line in sys.stdin.read().split():',
    // every line starts with "x", so an empty payload is a line too
    '    p = bytes.fromhex(line[1:])',
    '    d = struct.pack("!HHHH", sport, port, 8 + len(p), 0) + p',
    // the kernel fills in the IP checksum and, with id 0, the identification
    '    if src: d = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(d), 0, 0, 64, 17, 0, socket.inet_aton(src), socket.inet_aton(to)) + d',
    '    s.sendto(d, (to, 0))',
  ].join('\n');
  const source = options.from?.port ?? randomInt(49152, 65536);
  const input = list.map((p) => `x${Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString('hex')}\n`).join('');
  const argv = [PYTHON3, '-c', script, options.to, String(options.port), options.from?.address ?? '', String(source)];
  const r = await net.exec(ns, argv, { input });
  if (r.code !== 0) throw new Error(`sendUdp failed: ${r.stderr}`);
}

export interface UdpDatagram {
  from: string;
  port: number;
  payload: Uint8Array;
}

export interface UdpListener {
  /** The bound port (the kernel's pick when none was asked for). */
  port: number;
  /** Resolves with the first `count` datagrams received since start, or rejects after timeoutMs. */
  received(count: number, timeoutMs?: number): Promise<UdpDatagram[]>;
  stop(): Promise<void>;
}

/** A plain UDP socket in `ns` (Node's dgram) that records every datagram it receives. */
export async function listenUdp(
  net: TestNetwork,
  ns: string,
  options: { address?: string; port?: number } = {},
): Promise<UdpListener> {
  const script = [
    "const s = require('dgram').createSocket('udp4');",
    "s.on('message', (m, r) => console.log(JSON.stringify({ from: r.address, port: r.port, hex: m.toString('hex') })));",
    's.bind(Number(process.argv[2]), process.argv[1] || undefined, () => console.log(JSON.stringify({ bound: s.address().port })));',
  ].join('\n');
  const child = net.spawn(ns, [process.execPath, '-e', script, options.address ?? '', String(options.port ?? 0)]);
  const datagrams: UdpDatagram[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const bound = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`UDP listener did not bind: ${stderr}`)), START_TIMEOUT_MS);
    child.once('exit', (code) => reject(new Error(`UDP listener exited (${code}): ${stderr}`)));
    let buffer = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buffer += chunk;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = JSON.parse(buffer.slice(0, nl)) as { bound?: number; from?: string; port?: number; hex?: string };
        buffer = buffer.slice(nl + 1);
        if (line.bound !== undefined) {
          clearTimeout(timer);
          resolve(line.bound);
        } else {
          datagrams.push({ from: line.from ?? '', port: line.port ?? 0, payload: Buffer.from(line.hex ?? '', 'hex') });
          for (const wake of waiters) wake();
        }
      }
    });
  });
  let port: number;
  try {
    port = await bound;
  } catch (error) {
    await stopChild(child, STOP_GRACE_MS);
    throw error;
  }
  return {
    port,
    received: (count, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (datagrams.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(datagrams.slice(0, count));
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${datagrams.length} of ${count} datagrams arrived within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    stop: () => stopChild(child, STOP_GRACE_MS),
  };
}

/** The UDP ports a process has open, from `ss` inside its namespace: IPv4 and IPv6 sockets alike, ascending. */
export async function udpPortsOf(net: TestNetwork, ns: string, pid: number): Promise<number[]> {
  const r = await net.exec(ns, ['ss', '-Huanp']);
  const ports = r.stdout
    .split('\n')
    .filter((line) => line.includes(`pid=${pid},`))
    .map((line) => {
      const local = line.trim().split(/\s+/)[3] ?? '';
      return Number(local.slice(local.lastIndexOf(':') + 1));
    })
    .filter((p) => Number.isInteger(p) && p > 0);
  return [...new Set(ports)].sort((a, b) => a - b);
}

/** IEEE 802 local experimental ethertype: the end-of-capture marker frame, which no stack in the namespaces parses. */
const MARKER_ETHERTYPE = 0x88b5;
/** How long dumpcap may take to write a packet to its file, where no marker frame can be sent (a TUN). */
const UNMARKED_GRACE_MS = 1500;
const POLL_MS = 50;
const LINKTYPE_ETHERNET = 1;
const LINKTYPE_RAW = 101;

/** One captured packet: its IPv4 header onward (the link layer stripped). */
export type Packet = Buffer;

/**
 * dumpcap (tshark's capture engine, without its second of dissector start-up) writing a pcap file of what matches
 * the capture filter on `iface` in `ns`; it resolves once dumpcap captures, so no packet sent after that is missed for
 * being early. stop() returns the IPv4 packets in order. On an Ethernet interface (a veth) it first sends a marker
 * frame out of that interface and waits until the file holds it, so every packet that crossed the interface before
 * stop() is in the result; on a TUN it waits a fixed grace period instead.
 */
export async function capturePackets(
  net: TestNetwork,
  ns: string,
  iface: string,
  filter: string,
): Promise<{ stop(): Promise<Packet[]> }> {
  const linkType = await net.exec(ns, ['cat', `/sys/class/net/${iface}/type`]);
  if (linkType.code !== 0) throw new Error(`no interface ${iface} in ${ns}`);
  const ethernet = linkType.stdout.trim() === '1';
  const capture = ethernet ? `(${filter}) or ether proto ${MARKER_ETHERTYPE}` : filter;
  const dir = await mkdtemp(join(tmpdir(), `outpost-cap-${process.pid}-`));
  const file = join(dir, 'capture.pcap');
  const child = net.spawn(ns, ['dumpcap', '-q', '-i', iface, '-f', capture, '-P', '-w', file]);
  child.stdout?.resume();
  let stderr = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`dumpcap did not start: ${stderr}`)), START_TIMEOUT_MS);
      child.once('exit', (code) => reject(new Error(`dumpcap exited (${code}): ${stderr}`)));
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        // dumpcap prints 'Capturing on' before it even opens its packet socket: a datagram sent then is lost. It
        // prints 'File:' once the socket is bound with the filter attached and the pcap header written (strace of
        // dumpcap 4.0), so from then on every matching packet reaches the file.
        if (/^File: /m.test(stderr)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  } catch (error) {
    await stopChild(child, STOP_GRACE_MS);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  const waitForMarker = async (): Promise<void> => {
    const token = randomBytes(8);
    const script = [
      'import socket, sys',
      's = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)',
      's.bind((sys.argv[1], 0))',
      // broadcast destination, locally administered source, then the payload padded to Ethernet's 46-byte minimum
      's.send(b"\\xff" * 6 + b"\\x02\\0\\0\\0\\0\\x01" + bytes.fromhex(sys.argv[2]) + bytes.fromhex(sys.argv[3]).ljust(46, b"\\0"))',
    ].join('\n');
    const ethertype = MARKER_ETHERTYPE.toString(16).padStart(4, '0');
    const sent = await net.exec(ns, [PYTHON3, '-c', script, iface, ethertype, token.toString('hex')]);
    if (sent.code !== 0) throw new Error(`sending the capture's end marker failed: ${sent.stderr}`);
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!pcapFrames(await readFile(file)).some((f) => f.subarray(14, 14 + token.length).equals(token))) {
      if (Date.now() > deadline) throw new Error(`dumpcap on ${iface} in ${ns} did not record its end marker`);
      await sleep(POLL_MS);
    }
  };

  return {
    stop: async () => {
      try {
        if (ethernet) await waitForMarker();
        else await sleep(UNMARKED_GRACE_MS);
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGINT');
          await exited;
        }
        return ipv4Packets(await readFile(file));
      } finally {
        await stopChild(child, STOP_GRACE_MS);
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/** The records of a libpcap file (microsecond or nanosecond, little- or big-endian). */
function pcapFrames(pcap: Buffer): Buffer[] {
  if (pcap.length < 24) return [];
  const little = pcap.readUInt32LE(0) === 0xa1b2c3d4 || pcap.readUInt32LE(0) === 0xa1b23c4d;
  const u32 = (offset: number): number => (little ? pcap.readUInt32LE(offset) : pcap.readUInt32BE(offset));
  const frames: Buffer[] = [];
  // a record dumpcap is still writing is cut short: stop at it
  for (let offset = 24; offset + 16 <= pcap.length; ) {
    const captured = u32(offset + 8);
    if (offset + 16 + captured > pcap.length) break;
    frames.push(pcap.subarray(offset + 16, offset + 16 + captured));
    offset += 16 + captured;
  }
  return frames;
}

/** The IPv4 packets of a pcap file, from Ethernet or raw-IP (TUN) frames; the end markers and anything else left out. */
function ipv4Packets(pcap: Buffer): Packet[] {
  if (pcap.length < 24) return [];
  const little = pcap.readUInt32LE(0) === 0xa1b2c3d4 || pcap.readUInt32LE(0) === 0xa1b23c4d;
  const linkType = little ? pcap.readUInt32LE(20) : pcap.readUInt32BE(20);
  const packets: Packet[] = [];
  for (const frame of pcapFrames(pcap)) {
    let packet: Buffer | undefined;
    if (linkType === LINKTYPE_ETHERNET && frame.length >= 14 && frame.readUInt16BE(12) === 0x0800) {
      packet = frame.subarray(14);
    } else if (linkType === LINKTYPE_RAW) {
      packet = frame;
    }
    if (packet && packet.length >= 20 && packet[0]! >> 4 === 4) packets.push(packet);
  }
  return packets;
}

/** The transport header and payload of an unfragmented IPv4 packet of `protocol`, or undefined. */
function transport(packet: Packet, protocol: number): Buffer | undefined {
  const headerLength = (packet[0]! & 0x0f) * 4;
  const totalLength = packet.readUInt16BE(2);
  const fragment = packet.readUInt16BE(6) & 0x3fff; // more-fragments flag and offset
  if (packet[9] !== protocol || fragment !== 0 || totalLength > packet.length || headerLength > totalLength) {
    return undefined;
  }
  return packet.subarray(headerLength, totalLength);
}

/**
 * Starts capturing on `iface` in `ns` with a capture filter (libpcap syntax); stop() returns the payloads of the
 * IPv4 UDP datagrams seen, in order.
 */
export async function captureUdp(
  net: TestNetwork,
  ns: string,
  iface: string,
  filter: string,
): Promise<{ stop(): Promise<Uint8Array[]> }> {
  const capture = await capturePackets(net, ns, iface, `udp and (${filter})`);
  return {
    stop: async () =>
      (await capture.stop()).flatMap((packet) => {
        const udp = transport(packet, 17);
        return udp && udp.length >= 8 ? [udp.subarray(8, udp.readUInt16BE(4))] : [];
      }),
  };
}

export interface SynCapture {
  /** The MSS option of every SYN seen, in order (SYNs without the option are only counted). */
  mss: number[];
  /** SYNs seen, with or without an MSS option. */
  syns: number;
}

/**
 * Records the IPv4 TCP SYNs (not SYN-ACKs) to or from `port` on `iface` in `ns`, e.g. on the lan host's veth to see
 * the MSS that left the tunnel. Without a port, every SYN.
 */
export async function captureTcpSyn(
  net: TestNetwork,
  ns: string,
  iface: string,
  port?: number,
): Promise<{ stop(): Promise<SynCapture> }> {
  const syn = 'tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack == 0';
  const capture = await capturePackets(net, ns, iface, port === undefined ? syn : `tcp port ${port} and ${syn}`);
  return {
    stop: async () => {
      const result: SynCapture = { mss: [], syns: 0 };
      for (const packet of await capture.stop()) {
        const tcp = transport(packet, 6);
        if (!tcp || tcp.length < 20) continue;
        result.syns++;
        const mss = mssOption(tcp.subarray(20, Math.min(tcp.length, (tcp[12]! >> 4) * 4)));
        if (mss !== undefined) result.mss.push(mss);
      }
      return result;
    },
  };
}

/** The MSS (kind 2, length 4) among TCP options, RFC 9293 §3.2. */
function mssOption(options: Buffer): number | undefined {
  for (let i = 0; i < options.length; ) {
    const kind = options[i]!;
    if (kind === 0) return undefined;
    if (kind === 1) {
      i++;
      continue;
    }
    const length = options[i + 1] ?? 0;
    if (length < 2 || i + length > options.length) return undefined;
    if (kind === 2 && length === 4) return options.readUInt16BE(i + 2);
    i += length;
  }
  return undefined;
}

/** @deprecated captureTcpSyn(net, ns, iface) without a port; its stop() gives `{ mss }` instead of the array. */
export async function captureSynMss(
  net: TestNetwork,
  ns: string,
  iface: string,
): Promise<{ stop(): Promise<number[]> }> {
  const capture = await captureTcpSyn(net, ns, iface);
  return { stop: async () => (await capture.stop()).mss };
}

function ipv4(address: string): number {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`not an IPv4 address: ${address}`);
  }
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}

/** Test traffic never leaves the documentation and benchmark prefixes, even by a typo. */
function assertTestAddress(address: string): void {
  const value = ipv4(address);
  const inside = TEST_PREFIXES.some(
    ([net, bits]) => Math.floor(value / 2 ** (32 - bits)) === Math.floor(net / 2 ** (32 - bits)),
  );
  if (!inside) throw new Error(`${address} is outside the test prefixes`);
}
