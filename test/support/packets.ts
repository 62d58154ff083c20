// Raw UDP in and out of a namespace: capture one datagram with tshark, send arbitrary datagrams with Node's dgram.
import type { ChildProcess } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestNetwork } from './netns.js';

/**
 * Sends each payload as one UDP datagram from inside `ns` to `to:port`, from source port `fromPort`. A raw socket
 * writes the UDP header itself, so the source port may be one that a daemon there (the gateway's 4500) has bound.
 */
export async function sendUdp(
  net: TestNetwork,
  ns: string,
  to: string,
  port: number,
  fromPort: number,
  payloads: Uint8Array[],
): Promise<void> {
  const script = [
    'import socket, struct, sys',
    's = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)',
    'for h in sys.argv[4:]:',
    '    p = bytes.fromhex(h)',
    '    s.sendto(struct.pack("!HHHH", int(sys.argv[3]), int(sys.argv[2]), 8 + len(p), 0) + p, (sys.argv[1], 0))',
  ].join('\n');
  const hex = payloads.map((p) => Buffer.from(p).toString('hex'));
  const r = await net.exec(ns, ['python3', '-c', script, to, String(port), String(fromPort), ...hex]);
  if (r.code !== 0) throw new Error(`sendUdp failed: ${r.stderr}`);
}

/** The UDP ports a process has open, from `ss` inside its namespace. */
export async function udpPortsOf(net: TestNetwork, ns: string, pid: number): Promise<number[]> {
  const r = await net.exec(ns, ['ss', '-Huanp']);
  return r.stdout
    .split('\n')
    .filter((line) => line.includes(`pid=${pid},`))
    .map((line) => {
      const local = line.trim().split(/\s+/)[3] ?? '';
      return Number(local.slice(local.lastIndexOf(':') + 1));
    })
    .filter((p) => Number.isInteger(p) && p > 0);
}

/** tshark inside `ns`, resolved once it is capturing (its stderr says so), so nothing sent after is missed. */
async function startTshark(net: TestNetwork, ns: string, args: string[]): Promise<ChildProcess> {
  const child = net.spawn(ns, ['tshark', ...args]);
  let started = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tshark did not start: ${started}`)), 10_000);
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      started += chunk;
      if (started.includes('Capturing on')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return child;
}

async function stopTshark(child: ChildProcess): Promise<void> {
  child.kill('SIGINT');
  await new Promise((resolve) => child.once('exit', resolve));
}

/**
 * Starts capturing on `iface` in `ns` with a capture filter; stop() returns the UDP payloads seen (IPv4 over
 * Ethernet, as on a veth).
 */
export async function captureUdp(
  net: TestNetwork,
  ns: string,
  iface: string,
  filter: string,
): Promise<{ stop(): Promise<Uint8Array[]> }> {
  const file = join(tmpdir(), `outpost-cap-${process.pid}-${Date.now()}.pcap`);
  const child = await startTshark(net, ns, ['-q', '-i', iface, '-f', filter, '-F', 'pcap', '-w', file]);
  child.stdout?.resume();
  return {
    stop: async () => {
      await stopTshark(child);
      const data = await readFile(file);
      await rm(file, { force: true });
      return udpPayloads(data);
    },
  };
}

/** The MSS option of every SYN (not SYN-ACK) seen on `iface` in `ns`. */
export async function captureSynMss(
  net: TestNetwork,
  ns: string,
  iface: string,
): Promise<{ stop(): Promise<number[]> }> {
  const filter = 'tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack == 0';
  const child = await startTshark(net, ns, [
    '-l',
    '-i',
    iface,
    '-f',
    filter,
    '-T',
    'fields',
    '-e',
    'tcp.options.mss_val',
  ]);
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  return {
    stop: async () => {
      // tshark prints a packet's fields a moment after it sees it
      await new Promise((resolve) => setTimeout(resolve, 500));
      await stopTshark(child);
      return out
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
        .map(Number);
    },
  };
}

/** pcap (libpcap format, Ethernet link type) → the UDP payloads of IPv4 packets. */
function udpPayloads(pcap: Buffer): Uint8Array[] {
  const out: Uint8Array[] = [];
  let offset = 24;
  while (offset + 16 <= pcap.length) {
    const captured = pcap.readUInt32LE(offset + 8);
    const frame = pcap.subarray(offset + 16, offset + 16 + captured);
    offset += 16 + captured;
    if (frame.length < 14 + 20 + 8 || frame.readUInt16BE(12) !== 0x0800) continue;
    const ihl = (frame[14]! & 0x0f) * 4;
    const udp = 14 + ihl;
    out.push(frame.subarray(udp + 8));
  }
  return out;
}
