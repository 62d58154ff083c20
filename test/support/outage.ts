/**
 * A gateway outage as a remote worker lives it: `outpost connect` with default settings is up, the gateway's charon
 * is killed (no Delete reaches anyone), stays down for a while and comes back. Measured: seconds from the gateway
 * being back to the client's next 'connected' event; then traffic must flow. Used by test/interop/reconnect.test.ts
 * and the reconnect bench.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { loginArgs, OutpostProcess } from '../interop/cli-process.js';
import type { Gateway } from './gateway.js';
import { stopChild, type TestNetwork } from './netns.js';

export interface OutageOptions {
  /** How long the gateway stays down. */
  downMs: number;
  /** A steady ping through the tunnel the whole time, or nothing at all (idle). */
  traffic: boolean;
  /** The longest the client may take to come back, after the gateway is back. */
  withinMs: number;
}

export interface OutageResult {
  /** Seconds from the gateway being back to traffic flowing through the tunnel again. */
  backAfterS: number;
  /** The client kept trying the whole time: it never reported the connection closed. */
  reconnects: number;
}

export async function gatewayOutage(net: TestNetwork, gw: Gateway, options: OutageOptions): Promise<OutageResult> {
  const proc = OutpostProcess.start(net, loginArgs(gw), { OUTPOST_PASSWORD: gw.user.password });
  let ping: ChildProcess | undefined;
  let completed = false;
  try {
    assert.ok(await proc.waitFor('connected'), `${JSON.stringify(proc.events)} ${proc.stderr}`);
    if (options.traffic) ping = net.spawn(net.clientNs, ['ping', '-q', '-i', '0.2', '-W', '1', gw.lanHost]);
    const connectedBefore = proc.events.filter((e) => e.event === 'connected').length;
    await gw.restart(options.downMs);
    const back = Date.now();
    await proc.until(
      (e) => e.event === 'connected' && proc.events.filter((x) => x.event === 'connected').length > connectedBefore,
      options.withinMs,
    );
    const backAfterS = (Date.now() - back) / 1000;
    const probe = await net.exec(net.clientNs, ['ping', '-c', '2', '-W', '2', gw.lanHost]);
    assert.equal(probe.code, 0, 'traffic flows again after the reconnect');
    assert.equal(proc.events.filter((e) => e.event === 'closed').length, 0, 'it never gave up');
    completed = true;
    const reconnects = proc.events.filter((e) => e.event === 'state' && e.state === 'reconnecting').length;
    return { backAfterS, reconnects };
  } finally {
    if (ping) await stopChild(ping, 1000);
    const code = await proc.stop();
    // an assertion above is the news: the exit code only when everything else held
    if (completed) assert.equal(code, 0, proc.stderr);
  }
}
