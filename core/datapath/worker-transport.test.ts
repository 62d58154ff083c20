/**
 * The data-path worker as the tunnel sees it, over loopback: IKE both ways through the worker's socket, in order
 * after key commands; a worker that dies or cannot use the adapter is reported as the connection's failure, and a
 * closed one goes quietly.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { VirtualAdapter } from '../adapter/types.js';
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

/** A descriptor that stands in for the adapter: a FIFO opened both ways, which is never readable unless written. */
function quietDescriptor(): { fd: number; offload: false } {
  const dir = mkdtempSync(join(tmpdir(), 'outpost-fifo-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync('mkfifo', [join(dir, 'adapter')]);
  const fd = openSync(join(dir, 'adapter'), constants.O_RDWR | constants.O_NONBLOCK);
  after(() => closeSync(fd));
  return { fd, offload: false };
}

function quietAdapter(): VirtualAdapter {
  const counters = { readPackets: 0, writePackets: 0, writeErrors: 0, readErrors: 0 };
  return {
    name: 'outpost0',
    descriptor: quietDescriptor(),
    onPackets: () => {},
    write: () => {},
    close: () => {},
    counters,
  };
}

const policy = { maxMss4: 1360, maxMss6: 1340, remoteTs: [], ip4: '203.0.113.5', ip6: undefined };

test('IKE goes out of one socket and answers come back, before and after the worker takes it over with the adapter', async () => {
  const gw = await gateway();
  const { events, received, failed } = recorder();
  const transport = await WorkerTransport.open('127.0.0.1', gw.address().port, events);
  const exchange = async (text: string) => {
    const arrived = once(gw, 'message');
    transport.send(Buffer.from(text), gw.address().port);
    const [message, from] = (await arrived) as [Buffer, { port: number }];
    assert.equal(message.toString(), text);
    assert.equal(from.port, transport.localPort, 'sent from the port the transport reports');
    gw.send(`answer to ${text}`, transport.localPort, '127.0.0.1');
    await until(() => received.at(-1) === `answer to ${text}`);
  };
  try {
    assert.equal(transport.localAddress, '127.0.0.1');
    const port = transport.localPort;
    await exchange('IKE_SA_INIT');
    transport.carry(quietAdapter(), policy);
    // sent to the worker after the take-over, in order: it goes out of the same socket
    await exchange('INFORMATIONAL');
    assert.equal(transport.localPort, port, 'the same socket, now read by the worker');
    assert.deepEqual(received, ['answer to IKE_SA_INIT', 'answer to INFORMATIONAL']);
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
