/**
 * Throughput and its cost: iperf3 (TCP, AES-256-GCM) upload and download (`-R`) through `outpost connect` and through
 * strongSwan's own userspace client (charon + kernel-libipsec in the client namespace) against the same gateway, in
 * interleaved rounds (outpost, strongSwan, outpost, …; one client at a time holds the client namespace, so each
 * connects fresh and disconnects after its runs). For each run: the bytes iperf3 moved, the client's CPU seconds
 * (all threads, and any process it started) and the gateway charon's over the run, the client's peak RSS and, for
 * Outpost, the event-loop lag its main thread reports. Medians, ratios and the targets of issue 13.
 *
 *   BENCH_RUNS=3 BENCH_SECONDS=10 node --import tsx test/bench/throughput.bench.ts   (the defaults; needs root and
 *   `npm run build`)
 */
import { execFileSync } from 'node:child_process';
import { realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loginArgs, OutpostProcess } from '../interop/cli-process.js';
import { median } from '../interop/connect-times.js';
import { type Gateway, startGateway } from '../support/gateway.js';
import { iperf, startIperfServer } from '../support/lan-services.js';
import { TestNetwork } from '../support/netns.js';
import { executablePath, machineCpuSeconds, samplePeakRss, treeCpuSeconds } from '../support/proc-stat.js';
import { startStrongswanClient } from '../support/strongswan-client.js';

function positiveInteger(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a whole number ≥ 1, not "${process.env[name]}"`);
  return value;
}

const RUNS = positiveInteger('BENCH_RUNS', 3);
const SECONDS = positiveInteger('BENCH_SECONDS', 10);
const IKE = 'aes256gcm16-prfsha256-x25519';
/** The charon both strongSwan sides run, as /proc/<pid>/exe names it. */
const CHARON = realpathSync(execFileSync('which', ['charon-systemd'], { encoding: 'utf8' }).trim());
const ESP = 'aes256gcm16';
/** A stats second counts as saturated above this rate (bytes/s, both directions): ramp-up and idle seconds do not. */
const SATURATED_BYTES_PER_SECOND = 1e6;

const TARGET = { throughputRatio: 1.5, cpuPerGbRatio: 0.25, lagP99Ms: 5, rssBytes: 150e6 };

type ClientName = 'strongswan' | 'outpost';
type Direction = 'upload' | 'download';
const CLIENTS: readonly ClientName[] = ['outpost', 'strongswan'];
const DIRECTIONS: readonly Direction[] = ['upload', 'download'];

/** Inner bytes and packets a client's CHILD_SA has carried so far. */
interface Counters {
  bytesIn: number;
  bytesOut: number;
  packetsIn: number;
  packetsOut: number;
}

/** A connected client: the process whose cost counts, and how to disconnect it. */
interface Session {
  pid: number;
  /** Outpost's JSON events, for the event-loop lag its main thread reports; strongSwan reports none. */
  outpost?: OutpostProcess;
  /** Its counters now (Outpost: as of its last stats line, once a second), or undefined when it reports none. */
  counters(): Promise<Counters | undefined>;
  close(): Promise<void>;
}

interface Run {
  bitsPerSecond: number;
  bytes: number;
  /** Mean inner packet in the data's direction, bytes (NaN when the client reports no counters). */
  meanPacketBytes: number;
  /** TCP segments the sender had to send again. */
  retransmits: number;
  clientCpuSeconds: number;
  gatewayCpuSeconds: number;
  /** Busy share of all cores over the run, 0..1. */
  machineBusy: number;
  /** The client's RSS as the run started (connected, the previous run over) and its highest during the run. */
  startRssBytes: number;
  peakRssBytes: number;
  /** The per-second event-loop lag p99s Outpost reported while the tunnel was saturated. */
  lagP99sMs: number[];
}

/**
 * Fails loudly when a PID is not the program it should be (a wrapper such as `ip netns exec` or setpriv that did not
 * exec in place), rather than measure the wrong process.
 */
function expectExecutable(pid: number, path: string): void {
  const actual = executablePath(pid);
  if (actual !== path) throw new Error(`PID ${pid} runs ${actual}, not ${path}: its cost would be measured wrong`);
}

/**
 * Each client starts from the same state: a path MTU one client's tunnel taught the hosts (the gateway's
 * kernel-libipsec device is smaller than Outpost's) would otherwise set the next client's packet size.
 */
async function forgetPathMtus(net: TestNetwork): Promise<void> {
  for (const ns of [net.clientNs, net.gatewayNs, net.lanNs]) {
    const flushed = await net.exec(ns, ['ip', 'route', 'flush', 'cache']);
    if (flushed.code !== 0) throw new Error(`ip route flush cache in ${ns}: ${flushed.stderr}`);
  }
}

async function connectOutpost(net: TestNetwork, gw: Gateway): Promise<Session> {
  const args = loginArgs(gw, { extra: ['--ike', IKE, '--esp', ESP] });
  const proc = OutpostProcess.start(net, args, { OUTPOST_PASSWORD: gw.user.password });
  if (!(await proc.waitFor('connected'))) throw new Error(`outpost did not connect: ${proc.stderr}`);
  expectExecutable(proc.pid, realpathSync(process.execPath));
  return {
    pid: proc.pid,
    outpost: proc,
    async counters() {
      // no stats line yet: nothing has been counted since the connection came up but the connection itself
      const stats = proc.last('stats') ?? { bytesIn: 0, bytesOut: 0, packetsIn: 0, packetsOut: 0 };
      return {
        bytesIn: Number(stats.bytesIn),
        bytesOut: Number(stats.bytesOut),
        packetsIn: Number(stats.packetsIn),
        packetsOut: Number(stats.packetsOut),
      };
    },
    async close() {
      const code = await proc.stop();
      if (code !== 0) throw new Error(`outpost did not exit cleanly (${code}): ${proc.stderr}`);
    },
  };
}

async function connectStrongswan(net: TestNetwork, gw: Gateway): Promise<Session> {
  const client = await startStrongswanClient(net, gw, { ikeProposal: IKE, espProposal: ESP });
  const up = await client.initiate('ecdsa');
  if (!up.ok) {
    await client.stop();
    throw new Error(`strongSwan did not connect: ${up.output}`);
  }
  expectExecutable(client.pid, CHARON);
  return { pid: client.pid, counters: async () => childSaCounters(await client.listSas()), close: () => client.stop() };
}

/** The CHILD_SA's "in <spi>, N bytes, M packets" and "out …" lines of `swanctl --list-sas`. */
function childSaCounters(listing: string): Counters | undefined {
  const line = (direction: string) =>
    new RegExp(`^\\s*${direction}\\s+\\S+\\s+(\\d+) bytes,\\s+(\\d+) packets`, 'm').exec(listing);
  const [inbound, outbound] = [line('in'), line('out')];
  if (!inbound || !outbound) return undefined;
  return {
    bytesIn: Number(inbound[1]),
    packetsIn: Number(inbound[2]),
    bytesOut: Number(outbound[1]),
    packetsOut: Number(outbound[2]),
  };
}

/** Mean inner packet size in the direction iperf3's data went: what each packet's fixed cost is spread over. */
function meanPacketBytes(before: Counters | undefined, after: Counters | undefined, direction: Direction): number {
  if (!before || !after) return Number.NaN;
  return direction === 'upload'
    ? (after.bytesOut - before.bytesOut) / (after.packetsOut - before.packetsOut)
    : (after.bytesIn - before.bytesIn) / (after.packetsIn - before.packetsIn);
}

async function measure(net: TestNetwork, gw: Gateway, session: Session, direction: Direction): Promise<Run> {
  const firstEvent = session.outpost?.events.length ?? 0;
  const counters = await session.counters();
  const rss = samplePeakRss(session.pid);
  const machine = machineCpuSeconds();
  const client = treeCpuSeconds(session.pid);
  const gateway = treeCpuSeconds(gw.pid);
  const result = await iperf(net, net.clientNs, { seconds: SECONDS, reverse: direction === 'download' });
  const clientCpuSeconds = treeCpuSeconds(session.pid) - client;
  const gatewayCpuSeconds = treeCpuSeconds(gw.pid) - gateway;
  const machineAfter = machineCpuSeconds();
  const peakRssBytes = rss.stop();
  const meanPacket = meanPacketBytes(counters, await session.counters(), direction);
  const lagP99sMs = (session.outpost?.events.slice(firstEvent) ?? [])
    .filter((e) => e.event === 'stats' && Number(e.rateIn) + Number(e.rateOut) > SATURATED_BYTES_PER_SECOND)
    .map((e) => Number(e.eventLoopLagP99Ms));
  return {
    bitsPerSecond: result.bitsPerSecond,
    bytes: result.bytes,
    meanPacketBytes: meanPacket,
    retransmits: result.retransmits,
    clientCpuSeconds,
    gatewayCpuSeconds,
    machineBusy: (machineAfter.busy - machine.busy) / (machineAfter.total - machine.total),
    startRssBytes: rss.atStart,
    peakRssBytes,
    lagP99sMs,
  };
}

const perGb = (seconds: number, bytes: number) => seconds / (bytes / 1e9);
const mbit = (bps: number) => `${(bps / 1e6).toFixed(0)} Mbit/s`;
const cpu = (s: number) => `${s.toFixed(1)} CPU-s/GB`;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
const bytes = (n: number) => (Number.isNaN(n) ? '—' : `${n.toFixed(0)} B`);
const ms = (n: number) => `${n.toFixed(1)} ms`;
const verdict = (met: boolean) => (met ? 'met' : 'NOT met');

function describeRun(client: ClientName, direction: Direction, round: number, run: Run): string {
  const lag = run.lagP99sMs.length
    ? `  lag p99 ${ms(median(run.lagP99sMs))} (worst 1-s ${ms(Math.max(...run.lagP99sMs))})`
    : '';
  return (
    `  round ${round} ${client.padEnd(10)} ${direction.padEnd(8)} ${mbit(run.bitsPerSecond).padStart(12)}` +
    `  ${bytes(run.meanPacketBytes)}/packet  ${run.retransmits} retransmits` +
    `  client ${cpu(perGb(run.clientCpuSeconds, run.bytes))}  gateway ${cpu(perGb(run.gatewayCpuSeconds, run.bytes))}` +
    `  machine ${(100 * run.machineBusy).toFixed(0)} % busy  RSS ${mb(run.startRssBytes)} → ${mb(run.peakRssBytes)}${lag}`
  );
}

/** label, strongSwan, outpost, ratio, target, verdict */
type Row = [string, string, string, string, string, string];

function row([label, theirs, ours, ratio, target, met]: Row): string {
  return `  ${label.padEnd(42)}${theirs.padStart(16)}${ours.padStart(16)}${ratio.padStart(8)}   ${target.padEnd(22)}${met}`;
}

function summarize(direction: Direction, theirs: Run[], ours: Run[]): void {
  const both = (f: (r: Run) => number, over: (values: number[]) => number = median) => ({
    theirs: over(theirs.map(f)),
    ours: over(ours.map(f)),
    ratio: (over(ours.map(f)) / over(theirs.map(f))).toFixed(2),
  });
  const highest = (values: number[]) => Math.max(...values);
  const throughput = both((r) => r.bitsPerSecond);
  const client = both((r) => perGb(r.clientCpuSeconds, r.bytes));
  const gateway = both((r) => perGb(r.gatewayCpuSeconds, r.bytes));
  const packet = both((r) => r.meanPacketBytes);
  const busy = both((r) => r.machineBusy);
  const atStart = both((r) => r.startRssBytes);
  const peak = both((r) => r.peakRssBytes, highest);
  const lags = ours.flatMap((r) => r.lagP99sMs);
  const lag = lags.length ? median(lags) : Number.NaN;
  const percent = (share: number) => `${(100 * share).toFixed(0)} %`;
  const rows: Row[] = [
    [
      'throughput',
      mbit(throughput.theirs),
      mbit(throughput.ours),
      throughput.ratio,
      `≥ ${TARGET.throughputRatio}× strongSwan`,
      verdict(throughput.ours / throughput.theirs >= TARGET.throughputRatio),
    ],
    [
      'client CPU per GB (all threads)',
      cpu(client.theirs),
      cpu(client.ours),
      client.ratio,
      `≤ ${TARGET.cpuPerGbRatio}× strongSwan`,
      verdict(client.ours / client.theirs <= TARGET.cpuPerGbRatio),
    ],
    ['mean inner packet, data direction', bytes(packet.theirs), bytes(packet.ours), '', '', ''],
    ['gateway charon CPU per GB', cpu(gateway.theirs), cpu(gateway.ours), gateway.ratio, '', ''],
    ['machine busy (all cores, every process)', percent(busy.theirs), percent(busy.ours), '', '', ''],
    ['client RSS as a run starts', mb(atStart.theirs), mb(atStart.ours), '', '', ''],
    [
      'client peak RSS (highest run)',
      mb(peak.theirs),
      mb(peak.ours),
      '',
      `< ${mb(TARGET.rssBytes)}`,
      verdict(peak.ours < TARGET.rssBytes),
    ],
    [
      'event-loop lag p99, main thread',
      '—',
      lags.length ? ms(lag) : 'no stats',
      '',
      `< ${TARGET.lagP99Ms} ms`,
      verdict(lag < TARGET.lagP99Ms),
    ],
  ];
  console.log(direction === 'upload' ? 'upload (client → LAN host)' : 'download (-R, LAN host → client)');
  for (const r of rows) console.log(row(r));
  if (lags.length) {
    console.log(`    (median of ${lags.length} saturated seconds' p99s; the worst second's ${ms(Math.max(...lags))})`);
  }
}

const net = await TestNetwork.create();
try {
  const gw = await startGateway(net);
  expectExecutable(gw.pid, CHARON);
  const server = await startIperfServer(net);
  const runs: Record<ClientName, Record<Direction, Run[]>> = {
    outpost: { upload: [], download: [] },
    strongswan: { upload: [], download: [] },
  };
  console.log(
    `iperf3 TCP, ${IKE} / ${ESP}, ${RUNS} interleaved round(s) of ${SECONDS} s runs per client and direction`,
  );
  for (let round = 1; round <= RUNS; round++) {
    for (const client of CLIENTS) {
      await forgetPathMtus(net);
      const session = client === 'outpost' ? await connectOutpost(net, gw) : await connectStrongswan(net, gw);
      try {
        for (const direction of DIRECTIONS) {
          const run = await measure(net, gw, session, direction);
          runs[client][direction].push(run);
          console.log(describeRun(client, direction, round, run));
        }
      } finally {
        await session.close();
      }
    }
  }
  await server.stop();
  await gw.stop();

  console.log(
    `\nmedians of ${RUNS} run(s); ratio = outpost / strongSwan 5.9 userspace client (charon + kernel-libipsec), ` +
      `CPU = user + system seconds over the iperf3 run, per GB iperf3 moved`,
  );
  console.log(row(['', 'strongSwan', 'outpost', 'ratio', 'target', '']));
  for (const direction of DIRECTIONS) summarize(direction, runs.strongswan[direction], runs.outpost[direction]);
} finally {
  await net.destroy();
  rmSync(join(tmpdir(), `outpost-state-${net.clientNs}`), { recursive: true, force: true });
}
