/**
 * Reconnect time after a gateway outage, with default settings, against the targets as the reference: back
 * within 30 s of the gateway after a crash during traffic or a 90 s outage, within 60 s when idle. A ratio under 1
 * meets the target. The same scenarios are asserted in test/interop/reconnect.test.ts.
 */
import { startGateway } from '../support/gateway.js';
import { TestNetwork } from '../support/netns.js';
import { gatewayOutage } from '../support/outage.js';

const SCENARIOS = [
  { name: 'crash during traffic', downMs: 0, traffic: true, targetS: 30 },
  { name: 'crash while idle', downMs: 0, traffic: false, targetS: 60 },
  { name: 'down 90 s, traffic waiting', downMs: 90_000, traffic: true, targetS: 30 },
];

console.log('scenario                      back after (s)   target (s)   ratio');
for (const scenario of SCENARIOS) {
  const net = await TestNetwork.create();
  try {
    const gw = await startGateway(net);
    try {
      const { backAfterS } = await gatewayOutage(net, gw, { ...scenario, withinMs: 2 * scenario.targetS * 1000 });
      const ratio = backAfterS / scenario.targetS;
      console.log(
        `${scenario.name.padEnd(30)}${backAfterS.toFixed(1).padStart(14)}${String(scenario.targetS).padStart(13)}${ratio.toFixed(2).padStart(8)}`,
      );
    } finally {
      await gw.stop();
    }
  } finally {
    await net.destroy();
  }
}
