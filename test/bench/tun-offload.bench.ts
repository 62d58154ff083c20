/**
 * Does TUN offload pay? A TCP stream (iperf3, bounded) from one namespace to another through two TUN devices that
 * one relay process joins, the way the VPN client sits between the kernel and the tunnel: packets read from TUN A
 * are written to TUN B one by one, packets read from B go to A with writeBatch once per event-loop turn. A is opened
 * with offloads or without; B never has them.
 * - forward: data flows A -> B; with offloads the reads from A are super-packets that segment() splits.
 * - reverse (iperf3 -R): data flows B -> A; with offloads the writes to A are coalesced GSO frames.
 * Reports, as medians over runs: throughput, the relay's CPU seconds per GB carried, and IP packets per kernel
 * packet on A (per read forward, per write in reverse; the kernel counts a super-packet once). Root.
 *
 *   node --import tsx test/bench/tun-offload.bench.ts        (BENCH_SECONDS=5, BENCH_RUNS=3 by default)
 */
import type { ChildProcess } from 'node:child_process';
import type { RelayCommand, RelayStats } from '../interop/tun-offload-agent.js';
import { AgentClient } from '../support/agent.js';
import { stopChild } from '../support/netns.js';
import { TunNamespaces } from '../support/tun-namespaces.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const FAR_ADDRESS = '198.18.2.1';

interface Sample {
  bitsPerSecond: number;
  cpuSecondsPerGB: number;
  packetsPerKernelPacket: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The kernel's packet counts of a device (a super-packet counts once). */
async function linkPackets(namespaces: TunNamespaces, device: string): Promise<{ rx: number; tx: number }> {
  const [link] = JSON.parse(await namespaces.exec(namespaces.near, ['ip', '-s', '-j', 'link', 'show', device])) as {
    stats64: { rx: { packets: number }; tx: { packets: number } };
  }[];
  return { rx: link!.stats64.rx.packets, tx: link!.stats64.tx.packets };
}

async function startIperfServer(namespaces: TunNamespaces): Promise<ChildProcess> {
  const server = namespaces.spawn(namespaces.far, ['iperf3', '-s', '-1', '--forceflush', '-B', FAR_ADDRESS]);
  server.stderr!.resume();
  await new Promise<void>((resolve, reject) => {
    server.stdout!.once('data', () => resolve());
    server.once('exit', (code) => reject(new Error(`iperf3 -s exited ${code}`)));
  });
  server.stdout!.resume();
  return server;
}

async function measure(namespaces: TunNamespaces, offload: boolean, reverse: boolean): Promise<Sample> {
  const relay = new AgentClient<RelayCommand>(
    namespaces.spawnAgent(namespaces.near, ['relay', offload ? '1' : '0', namespaces.far, '0']),
  );
  // the first answer comes once the relay has its devices and addresses, which iperf3 -s binds to
  const first = (await relay.send({ op: 'stats' })) as RelayStats;
  const iperfServer = await startIperfServer(namespaces);
  try {
    const before = (await relay.send({ op: 'stats' })) as RelayStats;
    const kernelBefore = await linkPackets(namespaces, first.a.name);
    const args = ['iperf3', '-c', FAR_ADDRESS, '-t', String(SECONDS), '-J', ...(reverse ? ['-R'] : [])];
    const report = JSON.parse(await namespaces.exec(namespaces.near, args)) as {
      end: { sum_received: { bits_per_second: number; bytes: number } };
    };
    const after = (await relay.send({ op: 'stats' })) as RelayStats;
    const kernelAfter = await linkPackets(namespaces, first.a.name);
    const { bytes, bits_per_second: bitsPerSecond } = report.end.sum_received;
    const packets = reverse
      ? after.a.counters.writePackets - before.a.counters.writePackets
      : after.a.counters.readPackets - before.a.counters.readPackets;
    const kernelPackets = reverse ? kernelAfter.rx - kernelBefore.rx : kernelAfter.tx - kernelBefore.tx;
    if (offload && !after.offload.active) throw new Error(`offloads refused: ${after.offload.refused}`);
    return {
      bitsPerSecond,
      cpuSecondsPerGB: (after.cpuMs - before.cpuMs) / 1000 / (bytes / 1e9),
      packetsPerKernelPacket: packets / Math.max(1, kernelPackets),
    };
  } finally {
    await stopChild(iperfServer, 3000);
    await relay.send({ op: 'close' });
    await stopChild(relay.child, 3000);
  }
}

const namespaces = await TunNamespaces.create('optb');
try {
  for (const reverse of [false, true]) {
    const samples = new Map<boolean, Sample[]>([
      [false, []],
      [true, []],
    ]);
    // alternate, so a slow stretch of the shared machine hits both modes alike
    for (let run = 0; run < RUNS; run++) {
      for (const offload of [false, true]) samples.get(offload)!.push(await measure(namespaces, offload, reverse));
    }
    for (const [offload, runs] of samples) {
      const mbit = median(runs.map((s) => s.bitsPerSecond)) / 1e6;
      const cpu = median(runs.map((s) => s.cpuSecondsPerGB));
      const ratio = median(runs.map((s) => s.packetsPerKernelPacket));
      console.log(
        `${reverse ? 'reverse (B->A, writes)' : 'forward (A->B, reads) '}  offload ${offload ? 'on ' : 'off'}: ` +
          `${mbit.toFixed(0)} Mbit/s, relay ${cpu.toFixed(2)} CPU-s/GB, ${ratio.toFixed(1)} packets per kernel packet` +
          `  [runs: ${runs.map((s) => (s.bitsPerSecond / 1e6).toFixed(0)).join(', ')} Mbit/s]`,
      );
    }
  }
} finally {
  await namespaces.destroy();
}
