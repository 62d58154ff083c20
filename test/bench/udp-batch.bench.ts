/**
 * 1450-byte datagrams (a full-size ESP-in-UDP packet) from a sender process to a receiver process, for each way to
 * send (node:dgram one send per datagram, sendmmsg, sendmmsg with UDP GSO) and to receive (node:dgram, recvmmsg,
 * recvmmsg with UDP GRO). Prints, side by side, datagrams/s sent and received and each side's CPU time per
 * datagram. Sender and receiver are separate processes, so each has a core of this 2-core machine. A benchmark,
 * not a test: nothing is asserted.
 *
 *   node --import tsx test/bench/udp-batch.bench.ts          loopback, BENCH_SECONDS=2 per pair by default
 *   BENCH_VETH=1 node --import tsx test/bench/udp-batch.bench.ts
 *     (root, ethtool) across a veth pair between two network namespaces it creates and deletes, with GRO turned on
 *     on the receiving end, 198.18.0.1 -> 198.18.0.2; BENCH_THREADED=1 also gives that veth threaded NAPI, the one
 *     way a per-datagram sender's packets arrive coalesced here (its kernel thread then competes for the 2 cores)
 */
import { execFileSync, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createInterface } from 'node:readline';
import { BatchUdpSocket } from '../../core/net/linux/udp-socket.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const SIZE = 1450;
const BURST = 64;
/** node:dgram sends complete on a later tick: at most this many in flight, so a slow receiver cannot fill memory. */
const IN_FLIGHT = 1024;

type Sender = 'dgram' | 'sendmmsg' | 'gso';
type Receiver = 'dgram' | 'recvmmsg' | 'gro';

interface Result {
  datagrams: number;
  /** Reads that brought several datagrams glued together by GRO. */
  glued?: number;
  seconds: number;
  cpuMicros: number;
}

function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** Counts what arrives until stdin closes, then prints the count and the CPU it cost. */
async function receive(kind: Receiver, local: string, remote: string): Promise<void> {
  let datagrams = 0;
  let first = 0;
  let last = 0;
  let stop: () => void;
  let glued: () => number = () => 0;
  const cpuStart = cpuMicros();
  if (kind === 'dgram') {
    const socket = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
    await new Promise<void>((resolve) => socket.bind(0, local, resolve));
    socket.on('message', () => {
      last = performance.now();
      if (datagrams++ === 0) first = last;
    });
    console.log(socket.address().port);
    stop = () => socket.close();
  } else {
    const socket = BatchUdpSocket.open(local, remote, { gro: kind === 'gro' });
    socket.onDatagrams((batch) => {
      last = performance.now();
      if (datagrams === 0) first = last;
      datagrams += batch.count;
    });
    console.log(socket.localPort);
    stop = () => socket.close();
    glued = () => socket.counters.gluedReads;
  }
  process.stdin.resume();
  await new Promise((resolve) => process.stdin.on('end', resolve));
  stop();
  const result: Result = {
    datagrams,
    glued: glued(),
    seconds: (last - first) / 1000,
    cpuMicros: cpuMicros() - cpuStart,
  };
  console.log(JSON.stringify(result));
}

/** Sends for SECONDS as fast as `kind` can, then prints what it sent and the CPU it cost. */
async function send(kind: Sender, local: string, remote: string, port: number): Promise<void> {
  const burst = Array.from({ length: BURST }, (_, i) => new Uint8Array(SIZE).fill(i));
  let datagrams = 0;
  const cpuStart = cpuMicros();
  const start = performance.now();
  const end = start + SECONDS * 1000;
  if (kind === 'dgram') {
    // as core/tunnel/udp-transport.ts sends: an unconnected socket, one send per datagram
    const socket = createSocket({ type: 'udp4', sendBufferSize: 4 << 20 });
    await new Promise<void>((resolve) => socket.bind(0, local, resolve));
    let inFlight = 0;
    let resume: (() => void) | undefined;
    const sent = (): void => {
      inFlight--;
      if (inFlight < IN_FLIGHT / 2) resume?.();
    };
    while (performance.now() < end) {
      for (const d of burst) socket.send(d, port, remote, sent);
      inFlight += BURST;
      datagrams += BURST;
      if (inFlight >= IN_FLIGHT) {
        await new Promise<void>((resolve) => {
          resume = resolve;
        });
        resume = undefined;
      }
    }
    while (inFlight > 0) await new Promise((resolve) => setImmediate(resolve));
    socket.close();
  } else {
    const socket = BatchUdpSocket.open(local, remote, { gso: kind === 'gso' });
    while (performance.now() < end) {
      socket.sendBatch(burst, port);
      datagrams += BURST;
    }
    datagrams -= socket.counters.sendDrops;
    socket.close();
  }
  const result: Result = { datagrams, seconds: (performance.now() - start) / 1000, cpuMicros: cpuMicros() - cpuStart };
  console.log(JSON.stringify(result));
}

interface Place {
  /** Prefix that runs a command where this side lives: [] here, or `ip netns exec NS`. */
  wrap: string[];
  address: string;
}

function child(place: Place, args: string[]) {
  const [command = process.execPath, ...rest] = [...place.wrap, process.execPath];
  const proc = spawn(command, [...rest, '--import', 'tsx', import.meta.filename, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  const line = async (): Promise<string> => {
    const next = await lines.next();
    if (next.done) throw new Error(`${args[0]} ended early`);
    return next.value;
  };
  return { proc, line };
}

async function pair(sender: Sender, receiver: Receiver, from: Place, to: Place): Promise<[Result, Result]> {
  const r = child(to, ['receive', receiver, to.address, from.address]);
  const port = await r.line();
  const s = child(from, ['send', sender, from.address, to.address, port]);
  const sent = JSON.parse(await s.line()) as Result;
  // what is still queued at the receiver is read before it stops
  await new Promise((resolve) => setTimeout(resolve, 300));
  r.proc.stdin.end();
  const received = JSON.parse(await r.line()) as Result;
  return [sent, received];
}

function rate(r: Result): string {
  return Math.round(r.datagrams / r.seconds)
    .toLocaleString('en')
    .padStart(10);
}

function lost(sent: Result, received: Result): string {
  return `${Math.max(0, Math.round((1 - received.datagrams / sent.datagrams) * 100))}%`.padStart(4);
}

function perDatagram(r: Result): string {
  return `${(r.cpuMicros / Math.max(1, r.datagrams)).toFixed(2).padStart(6)} µs`;
}

async function main(): Promise<void> {
  const veth = process.env.BENCH_VETH === '1';
  const tag = `udpb${process.pid}`;
  let from: Place = { wrap: [], address: '127.0.0.1' };
  let to: Place = { wrap: [], address: '127.0.0.1' };
  if (veth) {
    const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'inherit' });
    ip('netns', 'add', `${tag}a`);
    ip('netns', 'add', `${tag}b`);
    process.on('exit', () => {
      for (const ns of [`${tag}a`, `${tag}b`]) execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    });
    ip('link', 'add', `${tag}x`, 'netns', `${tag}a`, 'type', 'veth', 'peer', 'name', `${tag}y`, 'netns', `${tag}b`);
    ip('-n', `${tag}a`, 'addr', 'add', '198.18.0.1/30', 'dev', `${tag}x`);
    ip('-n', `${tag}b`, 'addr', 'add', '198.18.0.2/30', 'dev', `${tag}y`);
    ip('-n', `${tag}a`, 'link', 'set', `${tag}x`, 'up');
    ip('-n', `${tag}b`, 'link', 'set', `${tag}y`, 'up');
    // a veth does GRO (in NAPI, which it then turns on) only when asked: this is the case GRO could pay for
    const inB = (...command: string[]) => execFileSync('ip', ['netns', 'exec', `${tag}b`, ...command]);
    inB('ethtool', '-K', `${tag}y`, 'gro', 'on', 'rx-udp-gro-forwarding', 'on');
    if (process.env.BENCH_THREADED === '1') inB('sh', '-c', `echo 1 > /sys/class/net/${tag}y/threaded`);
    from = { wrap: ['ip', 'netns', 'exec', `${tag}a`], address: '198.18.0.1' };
    to = { wrap: ['ip', 'netns', 'exec', `${tag}b`], address: '198.18.0.2' };
  }
  console.log(`${SIZE}-byte datagrams over ${veth ? 'a veth pair' : 'loopback'}, ${SECONDS} s per pair`);
  console.log(
    '  sender    receiver        sent/s  received/s  lost   sender CPU/dgram  receiver CPU/dgram  glued reads',
  );
  for (const sender of ['dgram', 'sendmmsg', 'gso'] as const) {
    for (const receiver of ['dgram', 'recvmmsg', 'gro'] as const) {
      const [sent, received] = await pair(sender, receiver, from, to);
      console.log(
        `  ${sender.padEnd(9)} ${receiver.padEnd(9)} ${rate(sent)}  ${rate(received)}  ${lost(sent, received)}` +
          `${perDatagram(sent).padStart(16)}  ${perDatagram(received).padStart(18)}  ${received.glued ?? 0}`,
      );
    }
  }
}

const [role, kind = '', local = '', remote = '', port = ''] = process.argv.slice(2);
if (role === 'receive') await receive(kind as Receiver, local, remote);
else if (role === 'send') await send(kind as Sender, local, remote, Number(port));
else await main();
