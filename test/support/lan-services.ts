// Services on the LAN host behind the gateway (198.51.100.10) that traffic tests reach through the tunnel.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type TestNetwork, stopChild } from './netns.js';

const LAN_HOST = '198.51.100.10';
const STOP_GRACE_MS = 2000;

async function waitForPort(net: TestNetwork, port: number): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const r = await net.exec(net.lanNs, ['ss', '-Htln', `sport = :${port}`]);
    if (r.stdout.trim()) return;
    await sleep(100);
  }
  throw new Error(`nothing listens on ${LAN_HOST}:${port}`);
}

export interface HttpServer {
  url: string;
  sha256: string;
  bytes: number;
  stop(): Promise<void>;
}

/** python3's http.server serving one file of random bytes. */
export async function startHttpServer(net: TestNetwork, bytes: number): Promise<HttpServer> {
  const dir = await mkdtemp(join(tmpdir(), 'outpost-www-'));
  const content = randomBytes(bytes);
  await writeFile(join(dir, 'file.bin'), content);
  const port = 8080;
  const child = net.spawn(net.lanNs, [
    'python3',
    '-m',
    'http.server',
    String(port),
    '--bind',
    LAN_HOST,
    '--directory',
    dir,
  ]);
  child.stdout?.resume();
  child.stderr?.resume();
  await waitForPort(net, port);
  return {
    url: `http://${LAN_HOST}:${port}/file.bin`,
    sha256: createHash('sha256').update(content).digest('hex'),
    bytes,
    stop: async () => {
      await stopChild(child, STOP_GRACE_MS);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Downloads `url` from inside `ns` with Node's fetch; returns the size and SHA-256 of what arrived. */
export async function download(net: TestNetwork, ns: string, url: string): Promise<{ bytes: number; sha256: string }> {
  const script = `fetch(${JSON.stringify(url)}).then(r=>r.arrayBuffer()).then(b=>{const d=Buffer.from(b);process.stdout.write(JSON.stringify({bytes:d.length,sha256:require('crypto').createHash('sha256').update(d).digest('hex')}))}).catch(e=>{console.error(e);process.exit(1)})`;
  const r = await net.exec(ns, [process.execPath, '-e', script], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`download failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { bytes: number; sha256: string };
}

export interface IperfServer {
  stop(): Promise<void>;
}

export async function startIperfServer(net: TestNetwork): Promise<IperfServer> {
  const child = net.spawn(net.lanNs, ['iperf3', '-s', '-B', LAN_HOST]);
  child.stdout?.resume();
  child.stderr?.resume();
  await waitForPort(net, 5201);
  return { stop: () => stopChild(child, STOP_GRACE_MS) };
}

/** A bounded iperf3 run from `ns`; bits per second received, and TCP retransmissions. */
export async function iperf(
  net: TestNetwork,
  ns: string,
  options: { seconds: number; bitrate?: string },
): Promise<{ bitsPerSecond: number; retransmits: number }> {
  const args = ['iperf3', '-c', LAN_HOST, '-t', String(options.seconds), '-J'];
  if (options.bitrate) args.push('-b', options.bitrate);
  const r = await net.exec(ns, args, { timeoutMs: (options.seconds + 15) * 1000 });
  const report = JSON.parse(r.stdout) as {
    error?: string;
    end?: { sum_received?: { bits_per_second: number }; sum_sent?: { retransmits?: number } };
  };
  if (r.code !== 0 || report.error || !report.end?.sum_received) {
    throw new Error(`iperf3 failed: ${report.error ?? r.stderr}`);
  }
  return {
    bitsPerSecond: report.end.sum_received.bits_per_second,
    retransmits: report.end.sum_sent?.retransmits ?? 0,
  };
}
