/**
 * A lossy path: the router between client and gateway drops 10 % of the UDP datagrams it forwards, each way. With
 * default settings `outpost connect` must connect every time; its median connect time is printed beside that of
 * strongSwan's own initiator on the same path (figures only: strongSwan's first retransmission waits 4 s, ours 1 s).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Gateway, startGateway } from '../support/gateway.js';
import { TestNetwork } from '../support/netns.js';
import { type StrongswanClient, startStrongswanClient } from '../support/strongswan-client.js';
import { connectTimes, describeTimes } from './connect-times.js';

const RUNS = 10;
const LOSS_PERCENT = 10;

let net: TestNetwork;
let gw: Gateway;
let strongswan: StrongswanClient;

before(async () => {
  net = await TestNetwork.create({ nat: true });
  gw = await startGateway(net);
  strongswan = await startStrongswanClient(net, gw);
  await net.setRouterUdpLoss(LOSS_PERCENT);
});

after(async () => {
  await strongswan?.stop();
  await gw?.stop();
  await net?.destroy();
});

test(`${RUNS} of ${RUNS} connects through ${LOSS_PERCENT} % loss both ways`, { timeout: 600_000 }, async (t) => {
  const times = await connectTimes(net, gw, strongswan, RUNS);
  const dropped = await net.routerUdpDrops();
  for (const line of describeTimes(times, RUNS)) t.diagnostic(line);
  t.diagnostic(`the router dropped ${dropped} datagrams`);
  assert.ok(dropped > 0, 'the path was lossy');
  assert.deepEqual(times.outpostFailures, [], 'every connect succeeds');
  assert.equal(times.outpost.length, RUNS);
});
