/** The UDP edge on loopback: after rebind() datagrams leave from the new socket, answers to it arrive, the old is shut. */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { test } from 'node:test';
import { UdpTransport } from './udp-transport.js';

test('rebind moves to a new socket: sent from it, answers to it received, the old one closed', async () => {
  const gateway = createSocket('udp4');
  await new Promise<void>((resolve) => gateway.bind(0, '127.0.0.1', resolve));
  const gatewayPort = gateway.address().port;
  const received: string[] = [];
  const transport = await UdpTransport.open('127.0.0.1', gatewayPort, (datagram) =>
    received.push(Buffer.from(datagram).toString()),
  );
  try {
    const oldPort = transport.localPort;
    await transport.rebind('127.0.0.1');
    assert.equal(transport.localAddress, '127.0.0.1');
    assert.notEqual(transport.localPort, oldPort, 'a new socket, on a port of its own');

    const arrived = once(gateway, 'message');
    transport.send(Buffer.from('hello'), gatewayPort);
    const [, from] = (await arrived) as [Buffer, { port: number }];
    assert.equal(from.port, transport.localPort, 'sent from the new socket');

    gateway.send('to the new one', transport.localPort, '127.0.0.1');
    gateway.send('to the old one', oldPort, '127.0.0.1');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(received, ['to the new one']);
  } finally {
    transport.close();
    gateway.close();
  }
});

test('a rebind to an address this computer does not have fails in words a person understands', async () => {
  const transport = await UdpTransport.open('127.0.0.1', 9, () => {});
  try {
    await assert.rejects(transport.rebind('192.0.2.250'), /could not use the new network address/);
  } finally {
    transport.close();
  }
});
