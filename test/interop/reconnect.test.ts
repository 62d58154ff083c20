/**
 * Staying connected through a gateway outage, with default settings, against a real strongSwan gateway whose charon is
 * killed (no Delete reaches the client): down for 90 s, the client is still trying and is back within 30 s of the
 * gateway; a crash during traffic is noticed by the dead-path check and repaired within 30 s; an idle tunnel within
 * 60 s. The figures are printed; `npm run bench` prints them too.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type Gateway, startGateway } from '../support/gateway.js';
import { TestNetwork } from '../support/netns.js';
import { gatewayOutage, type OutageOptions } from '../support/outage.js';

async function outage(options: OutageOptions): Promise<void> {
  const net = await TestNetwork.create();
  let gw: Gateway | undefined;
  try {
    gw = await startGateway(net);
    const { backAfterS } = await gatewayOutage(net, gw, options);
    console.log(`# down ${options.downMs / 1000} s, traffic ${options.traffic}: back ${backAfterS.toFixed(1)} s after`);
    assert.ok(backAfterS * 1000 <= options.withinMs);
  } finally {
    await gw?.stop();
    await net.destroy();
    rmSync(join(tmpdir(), `outpost-state-${net.clientNs}`), { recursive: true, force: true });
  }
}

describe('reconnecting after the gateway is lost', () => {
  test('a crash during traffic: the dead path is noticed and the tunnel is back within 30 s', async () => {
    await outage({ downMs: 0, traffic: true, withinMs: 30_000 });
  });

  test('a crash while idle: back within 60 s', async () => {
    await outage({ downMs: 0, traffic: false, withinMs: 60_000 });
  });

  test('down for 90 s with traffic waiting: still trying, and back within 30 s of the gateway', async () => {
    await outage({ downMs: 90_000, traffic: true, withinMs: 30_000 });
  });
});
