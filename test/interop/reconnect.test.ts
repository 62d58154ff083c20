/**
 * Staying connected through a gateway outage, with default settings, against a real strongSwan gateway whose charon is
 * killed (no Delete reaches the client): down for 90 s, the client is still trying and is back within 30 s of the
 * gateway; a crash during traffic is noticed by the dead-path check and repaired within 30 s; an idle tunnel within
 * 60 s. The figures are printed; `npm run bench` prints them too.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gatewayOutage, type OutageOptions } from '../support/outage.js';
import { withGateway } from './with-gateway.js';

async function outage(options: OutageOptions): Promise<void> {
  await withGateway({}, async (net, gw) => {
    const { backAfterS } = await gatewayOutage(net, gw, options);
    console.log(`# down ${options.downMs / 1000} s, traffic ${options.traffic}: back ${backAfterS.toFixed(1)} s after`);
    assert.ok(backAfterS * 1000 <= options.withinMs);
  });
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
