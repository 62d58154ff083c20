/**
 * Connect time through a lossy path: the router between client and gateway drops LOSS_PERCENT (default 10) % of the
 * UDP datagrams it forwards, each way; `outpost connect` at default settings against strongSwan's own initiator,
 * alternating, BENCH_RUNS (default 10) times each.
 */
import { connectTimes, describeTimes } from '../interop/connect-times.js';
import { startGateway } from '../support/gateway.js';
import { TestNetwork } from '../support/netns.js';
import { startStrongswanClient } from '../support/strongswan-client.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const LOSS_PERCENT = Number(process.env.LOSS_PERCENT ?? 10);

const net = await TestNetwork.create({ nat: true });
try {
  const gw = await startGateway(net);
  const strongswan = await startStrongswanClient(net, gw);
  await net.setRouterUdpLoss(LOSS_PERCENT);
  const times = await connectTimes(net, gw, strongswan, RUNS);
  const dropped = await net.routerUdpDrops();
  await strongswan.stop();
  await gw.stop();
  console.log(
    `connect to CHILD_SA through ${LOSS_PERCENT} % UDP loss each way (${dropped} datagrams dropped), ${RUNS} runs each`,
  );
  for (const line of describeTimes(times, RUNS)) console.log(`  ${line}`);
  for (const failure of times.outpostFailures) console.log(`  outpost failed: ${failure}`);
} finally {
  await net.destroy();
}
