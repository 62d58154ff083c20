/**
 * The data-path worker as the tunnel sees it, over loopback: IKE both ways through the worker's socket, in order
 * after key commands; a worker that dies or cannot use the adapter is reported as the connection's failure, and a
 * closed one goes quietly.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { test } from 'node:test';
import type { OutpostError } from '../errors.js';
import type { TransportEvents } from '../tunnel/transport.js';
import type { Activity } from './data-path.js';
import { WorkerTransport } from './worker-transport.js';

function recorder() {
  const received: string[] = [];
  const activity: Activity[] = [];
  const failed: OutpostError[] = [];
  const events: TransportEvents = {
    received: (data) => received.push(Buffer.from(data).toString()),
    activity: (a) => activity.push(a),
    failed: (e) => failed.push(e),
  };
  return { events, received, activity, failed };
}

async function gateway() {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('IKE goes out of the worker socket and answers come back; close() ends it without a failure', async () => {
  const gw = await gateway();
  const { events, received, failed } = recorder();
  const transport = await WorkerTransport.open('127.0.0.1', gw.address().port, events);
  try {
    assert.equal(transport.localAddress, '127.0.0.1');
    const arrived = once(gw, 'message');
    transport.send(Buffer.from('IKE_SA_INIT'), gw.address().port);
    const [message, from] = (await arrived) as [Buffer, { port: number }];
    assert.equal(message.toString(), 'IKE_SA_INIT');
    assert.equal(from.port, transport.localPort, 'sent from the port the worker reported');
    gw.send('answer', transport.localPort, '127.0.0.1');
    await until(() => received.length === 1);
    assert.deepEqual(received, ['answer']);
  } finally {
    await transport.close();
  }
  assert.equal(transport.worker.threadId, -1, 'close() settles once the thread has ended');
  assert.deepEqual(failed, [], 'a closed worker is no failure');
  gw.close();
});

test('a worker that crashes (a bug: here a message it does not know) is the connection failing, in words', async () => {
  const gw = await gateway();
  const { events, failed } = recorder();
  const transport = await WorkerTransport.open('127.0.0.1', gw.address().port, events);
  transport.worker.postMessage({ type: 'not a message' });
  await until(() => failed.length === 1);
  assert.equal(failed[0]!.code, 'network');
  assert.match(failed[0]!.message, /data path stopped unexpectedly/);
  await assert.rejects(transport.rebind('127.0.0.1'), /data path/, 'a rebind after its death settles');
  await transport.close();
  gw.close();
});

test('an adapter the worker cannot use fails the connection; keys it cannot build too', async () => {
  const gw = await gateway();
  const { events, failed } = recorder();
  const transport = await WorkerTransport.open('127.0.0.1', gw.address().port, events);
  try {
    const policy = { maxMss4: 1360, maxMss6: 1340, remoteTs: [], ip4: '203.0.113.5', ip6: undefined };
    transport.carry(
      {
        name: 'outpost0',
        descriptor: { fd: -1, offload: false },
        onPackets: () => {},
        write: () => {},
        close: () => {},
        counters: { readPackets: 0, writePackets: 0, writeErrors: 0, readErrors: 0 },
      },
      policy,
    );
    await until(() => failed.length === 1);
    assert.equal(failed[0]!.code, 'adapter');
    const spi = Uint8Array.of(1, 2, 3, 4);
    const keys = { encryption: new Uint8Array(36), integrity: new Uint8Array(0) };
    transport.applyKeys([
      {
        type: 'install-inbound',
        sa: { spi, encryption: { id: 999, keyBits: 256 }, integrity: undefined, keys, esn: false },
      },
    ]);
    await until(() => failed.length === 2);
    assert.equal(failed[1]!.code, 'crypto');
  } finally {
    await transport.close();
    gw.close();
  }
});
