/** A fresh test network with a gateway for one test, removed afterwards with the client's state directory. */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Gateway, type GatewayOptions, startGateway } from '../support/gateway.js';
import { TestNetwork } from '../support/netns.js';

export async function withGateway(
  options: GatewayOptions & { nat?: boolean },
  body: (net: TestNetwork, gw: Gateway) => Promise<void>,
): Promise<void> {
  const net = await TestNetwork.create({ nat: options.nat === true });
  try {
    const gw = await startGateway(net, options);
    try {
      await body(net, gw);
    } finally {
      await gw.stop();
    }
  } finally {
    await net.destroy();
    rmSync(join(tmpdir(), `outpost-state-${net.clientNs}`), { recursive: true, force: true });
  }
}
