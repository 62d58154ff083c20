// Services on the LAN host behind the gateway (198.51.100.10) that traffic tests reach through the tunnel.
import { createCipheriv, createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PYTHON3, stopChild, type TestNetwork } from './netns.js';

const LAN_HOST = '198.51.100.10';
const IPERF_PORT = 5201;
const STOP_GRACE_MS = 2000;
const START_TIMEOUT_MS = 10_000;

async function waitForPort(net: TestNetwork, port: number): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const r = await net.exec(net.lanNs, ['ss', '-Htln', `sport = :${port}`]);
    if (r.stdout.trim()) return;
    await sleep(100);
  }
  throw new Error(`nothing listens on ${LAN_HOST}:${port}`);
}

export interface HttpServerOptions {
  /** Size of the served file. */
  bytes: number;
  /** The file is the AES-128-CTR keystream of this seed: the same seed and size give the same bytes. */
  seed?: string;
}

export interface HttpServer {
  /** http://198.51.100.10:<port>/file.bin */
  url: string;
  /** SHA-256 of the file, lowercase hex. */
  sha256: string;
  bytes: number;
  stop(): Promise<void>;
}

/** Deterministic pseudo-random bytes: compressible by nothing on the path, reproducible from the seed. */
export function pseudoRandomBytes(bytes: number, seed = 'outpost'): Buffer {
  const key = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16, 32));
  return Buffer.concat([cipher.update(Buffer.alloc(bytes)), cipher.final()]);
}

/**
 * python3's http.server in the lan namespace serving one file, on a port the kernel picks (several servers may run
 * in one network). A plain number is the file size (the older call form).
 */
export async function startHttpServer(net: TestNetwork, options: HttpServerOptions | number): Promise<HttpServer> {
  const { bytes, seed } = typeof options === 'number' ? { bytes: options, seed: undefined } : options;
  const dir = await mkdtemp(join(tmpdir(), `outpost-www-${process.pid}-`));
  const content = pseudoRandomBytes(bytes, seed);
  await writeFile(join(dir, 'file.bin'), content);
  // -u: the "Serving HTTP on … port N" line arrives unbuffered, after the socket is bound
  const child = net.spawn(net.lanNs, [PYTHON3, '-u', '-m', 'http.server', '0', '--bind', LAN_HOST, '--directory', dir]);
  child.stderr?.resume();
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`http.server did not start: ${out}`)), START_TIMEOUT_MS);
      child.once('exit', (code) => reject(new Error(`http.server exited (${code}): ${out}`)));
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        const found = / port (\d+) /.exec(out)?.[1];
        if (found) {
          clearTimeout(timer);
          child.stdout?.removeAllListeners('data').resume();
          resolve(Number(found));
        }
      });
    });
    return {
      url: `http://${LAN_HOST}:${port}/file.bin`,
      sha256: createHash('sha256').update(content).digest('hex'),
      bytes,
      stop: async () => {
        await stopChild(child, STOP_GRACE_MS);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stopChild(child, STOP_GRACE_MS);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** Downloads `url` from inside `ns` with Node's fetch; returns the size and SHA-256 of what arrived. */
export async function download(net: TestNetwork, ns: string, url: string): Promise<{ bytes: number; sha256: string }> {
  const script = `fetch(${JSON.stringify(url)}).then(r=>{if(!r.ok)throw new Error('HTTP '+r.status);return r.arrayBuffer()}).then(b=>{const d=Buffer.from(b);process.stdout.write(JSON.stringify({bytes:d.length,sha256:require('crypto').createHash('sha256').update(d).digest('hex')}))}).catch(e=>{console.error(e);process.exit(1)})`;
  const r = await net.exec(ns, [process.execPath, '-e', script], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`download failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { bytes: number; sha256: string };
}

export interface IperfServer {
  stop(): Promise<void>;
}

/** A long-lived `iperf3 -s` bound to 198.51.100.10:5201 (one per network: the port is fixed). */
export async function startIperfServer(net: TestNetwork): Promise<IperfServer> {
  const child = net.spawn(net.lanNs, ['iperf3', '-s', '-B', LAN_HOST, '-p', String(IPERF_PORT)]);
  child.stdout?.resume();
  child.stderr?.resume();
  try {
    await waitForPort(net, IPERF_PORT);
  } catch (error) {
    await stopChild(child, STOP_GRACE_MS);
    throw error;
  }
  return { stop: () => stopChild(child, STOP_GRACE_MS) };
}

/**
 * A bounded iperf3 run from `ns` to the lan host (with `reverse`, `-R`: the lan host sends); bits per second and
 * bytes the receiver got, and TCP retransmissions.
 */
export async function iperf(
  net: TestNetwork,
  ns: string,
  options: { seconds: number; bitrate?: string; reverse?: boolean },
): Promise<{ bitsPerSecond: number; bytes: number; retransmits: number }> {
  const args = ['iperf3', '-c', LAN_HOST, '-p', String(IPERF_PORT), '-t', String(options.seconds), '-J'];
  if (options.bitrate) args.push('-b', options.bitrate);
  if (options.reverse) args.push('-R');
  const r = await net.exec(ns, args, { timeoutMs: (options.seconds + 15) * 1000 });
  let report: {
    error?: string;
    end?: { sum_received?: { bits_per_second: number; bytes: number }; sum_sent?: { retransmits?: number } };
  };
  try {
    report = JSON.parse(r.stdout) as typeof report;
  } catch {
    throw new Error(`iperf3 failed (${r.code}): ${r.stdout}${r.stderr}`);
  }
  if (r.code !== 0 || report.error || !report.end?.sum_received) {
    throw new Error(`iperf3 failed: ${report.error ?? r.stderr}`);
  }
  return {
    bitsPerSecond: report.end.sum_received.bits_per_second,
    bytes: report.end.sum_received.bytes,
    retransmits: report.end.sum_sent?.retransmits ?? 0,
  };
}
