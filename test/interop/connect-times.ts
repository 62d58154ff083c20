/**
 * Connect times of `outpost connect` and of strongSwan's own initiator against the same gateway, run after run in turn,
 * so both meet the same path (a lossy one, say). Each connection is ended before the next; every wait is bounded.
 */
import { performance } from 'node:perf_hooks';
import type { Gateway } from '../support/gateway.js';
import type { TestNetwork } from '../support/netns.js';
import type { StrongswanClient } from '../support/strongswan-client.js';
import { loginArgs, OutpostProcess } from './cli-process.js';

export interface ConnectTimes {
  /** Milliseconds to the CHILD_SA, as the client measures it from its first IKE_SA_INIT (Node.js start-up excluded). */
  outpost: number[];
  /** The whole command: from starting the process to its 'connected' event. */
  outpostWall: number[];
  /** Why each failed run of ours failed. */
  outpostFailures: string[];
  /** Milliseconds `swanctl --initiate` took to the CHILD_SA (its charon already running). */
  strongswan: number[];
  strongswanFailures: number;
}

/** Longer than the client's own give-up time at default settings, so the client decides, not this. */
const OUTPOST_CONNECT_LIMIT_MS = 45_000;

export async function connectTimes(
  net: TestNetwork,
  gw: Gateway,
  strongswan: StrongswanClient,
  runs: number,
): Promise<ConnectTimes> {
  const times: ConnectTimes = {
    outpost: [],
    outpostWall: [],
    outpostFailures: [],
    strongswan: [],
    strongswanFailures: 0,
  };
  for (let run = 1; run <= runs; run++) {
    const t0 = performance.now();
    const proc = OutpostProcess.start(net, loginArgs(gw), { OUTPOST_PASSWORD: gw.user.password });
    try {
      const connected = await proc.waitFor('connected', OUTPOST_CONNECT_LIMIT_MS);
      if (connected) {
        times.outpostWall.push(performance.now() - t0);
        times.outpost.push(Number(connected.childSaMs));
      } else {
        const error = proc.events.find((e) => e.event === 'error');
        times.outpostFailures.push(`run ${run}: ${JSON.stringify(error) ?? proc.stderr}`);
      }
    } catch (error) {
      times.outpostFailures.push(`run ${run}: ${String(error)}`);
    } finally {
      await proc.stop('SIGTERM');
    }

    const s0 = performance.now();
    const result = await strongswan.initiate('ecdsa');
    if (result.ok) times.strongswan.push(performance.now() - s0);
    else times.strongswanFailures++;
    // its Delete may be lost too: not waiting for the answer keeps each run bounded
    await strongswan.terminate('ecdsa', { force: true }).catch(() => undefined);
  }
  return times;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The medians side by side, one line each, for a test's diagnostics or a bench's output. */
export function describeTimes(times: ConnectTimes, runs: number): string[] {
  const ms = (n: number) => `${Math.round(n)} ms`;
  const ours = median(times.outpost);
  const theirs = median(times.strongswan);
  return [
    `outpost     ${times.outpost.length}/${runs} connected, median ${ms(ours)} to CHILD_SA (whole command ${ms(median(times.outpostWall))})`,
    `strongSwan  ${times.strongswan.length}/${runs} connected, median ${ms(theirs)} to CHILD_SA`,
    `ratio outpost/strongSwan ${(ours / theirs).toFixed(2)}`,
  ];
}
