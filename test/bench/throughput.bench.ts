/**
 * Throughput: iperf3 (TCP, 10 s, several runs, medians) through the Outpost tunnel and, in the same run against the
 * same gateway, through strongSwan's own userspace client (charon + kernel-libipsec in the client namespace); the
 * ratio; Outpost's throughput as a share of `openssl speed -evp aes-256-gcm` at 1400 bytes; and the event-loop lag
 * (p99) of the Outpost process while saturated.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loginArgs, OutpostProcess } from '../interop/cli-process.js';
import { startGateway } from '../support/gateway.js';
import { iperf, startIperfServer } from '../support/lan-services.js';
import { TestNetwork } from '../support/netns.js';
import { startStrongswanClient } from '../support/strongswan-client.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function opensslGcmBytesPerSecond(): number {
  const out = execFileSync('openssl', ['speed', '-evp', 'aes-256-gcm', '-bytes', '1400', '-seconds', '3'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  // last line: "AES-256-GCM  <kB/s>k"
  const line = out.trim().split('\n').at(-1) ?? '';
  const kilobytes = Number(/([\d.]+)k\s*$/.exec(line)?.[1]);
  return kilobytes * 1000;
}

const mbit = (bps: number) => `${(bps / 1e6).toFixed(0)} Mbit/s`;

const net = await TestNetwork.create();
try {
  const gw = await startGateway(net);
  const server = await startIperfServer(net);
  const args = loginArgs(gw, { extra: ['--ike', 'aes256gcm16-prfsha256-x25519', '--esp', 'aes256gcm16'] });
  const ours: number[] = [];
  const lags: number[] = [];
  const proc = OutpostProcess.start(net, args, { OUTPOST_PASSWORD: gw.user.password });
  if (!(await proc.waitFor('connected'))) throw new Error(`outpost did not connect: ${proc.stderr}`);
  for (let i = 0; i < RUNS; i++) {
    const before = proc.events.length;
    ours.push((await iperf(net, net.clientNs, { seconds: SECONDS })).bitsPerSecond);
    for (const e of proc.events.slice(before)) {
      if (e.event === 'stats' && Number(e.rateIn) + Number(e.rateOut) > 1e6) lags.push(Number(e.eventLoopLagP99Ms));
    }
  }
  await proc.stop();

  const strongswan = await startStrongswanClient(net, gw, {
    ikeProposal: 'aes256gcm16-prfsha256-x25519',
    espProposal: 'aes256gcm16',
  });
  const theirs: number[] = [];
  const up = await strongswan.initiate('ecdsa');
  if (!up.ok) throw new Error(`strongSwan did not connect: ${up.output}`);
  for (let i = 0; i < RUNS; i++) theirs.push((await iperf(net, net.clientNs, { seconds: SECONDS })).bitsPerSecond);
  await strongswan.stop();
  await server.stop();
  await gw.stop();

  const openssl = opensslGcmBytesPerSecond() * 8;
  const m = { ours: median(ours), theirs: median(theirs) };
  console.log(`iperf3 TCP through the tunnel, AES-256-GCM, ${SECONDS} s x ${RUNS} runs, medians`);
  console.log(`  strongSwan 5.9 userspace client (kernel-libipsec)  ${mbit(m.theirs)}`);
  console.log(
    `  outpost                                            ${mbit(m.ours)}   ratio ${(m.ours / m.theirs).toFixed(2)}`,
  );
  console.log(
    `  openssl speed -evp aes-256-gcm, 1400 B, one core   ${mbit(openssl)}   outpost share ${((100 * m.ours) / openssl).toFixed(1)} %`,
  );
  console.log(
    `  outpost event-loop lag p99 while saturated         ${median(lags).toFixed(1)} ms (median of per-second p99s)`,
  );
} finally {
  await net.destroy();
  rmSync(join(tmpdir(), `outpost-state-${net.clientNs}`), { recursive: true, force: true });
}
