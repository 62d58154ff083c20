/** A fresh test network with a gateway for one test, removed afterwards with the client's state directory. */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
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

/**
 * One network and gateway for every test of a file: made before the first, handed to `ready`, removed after the last.
 */
export function gatewayForFile(ready: (net: TestNetwork, gw: Gateway) => void, options: GatewayOptions = {}): void {
  let net: TestNetwork | undefined;
  let gw: Gateway | undefined;
  before(async () => {
    net = await TestNetwork.create();
    gw = await startGateway(net, options);
    ready(net, gw);
  });
  after(async () => {
    await gw?.stop();
    await net?.destroy();
  });
}

/** gatewayForFile for tests that read the network and the gateway from one object, once the file's `before` ran. */
export function sharedGateway(options: GatewayOptions): { readonly net: TestNetwork; readonly gw: Gateway } {
  const shared: { net?: TestNetwork; gw?: Gateway } = {};
  gatewayForFile((net, gw) => {
    shared.net = net;
    shared.gw = gw;
  }, options);
  return {
    get net() {
      if (!shared.net) throw new Error('the test network is made in before()');
      return shared.net;
    },
    get gw() {
      if (!shared.gw) throw new Error('the gateway is started in before()');
      return shared.gw;
    },
  };
}
