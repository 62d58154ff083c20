import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { ffi } from '../../adapter/linux/ffi.js';
import { OutpostError } from '../../errors.js';
import { BatchUdpSocket, type BatchUdpSocketOptions, type ReceivedBatch } from './udp-socket.js';

/** 200 datagrams: the edge sizes, runs of equal sizes that take the GSO path (one with a shorter last), and noise. */
function mixedDatagrams(): Uint8Array[] {
  const sizes = [0, 1, 1400, 9000, 0, 1];
  for (let i = 0; i < 70; i++) sizes.push(1450);
  sizes.push(1000);
  for (let i = 0; i < 65; i++) sizes.push(1200); // more than one GSO send holds
  sizes.push(9000, 9000, 9000, 17);
  while (sizes.length < 200) sizes.push((sizes.length * 37) % 1500);
  // every datagram says which one it is, so a loss or a reordering shows
  return sizes.map((size, index) => Uint8Array.from({ length: size }, (_, k) => (index * 7 + k) & 0xff));
}

function assertSameDatagrams(got: readonly { data: Uint8Array }[], sent: readonly Uint8Array[]): void {
  assert.equal(got.length, sent.length);
  for (const [i, d] of got.entries()) assert.deepEqual(new Uint8Array(d.data), sent[i], `datagram ${i}`);
}

async function dgramSocket(address: string): Promise<Socket> {
  const socket = createSocket({ type: address.includes(':') ? 'udp6' : 'udp4', recvBufferSize: 4 << 20 });
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  return socket;
}

/** Collects `count` datagrams a node:dgram socket receives, or fails after a while. */
function collect(socket: Socket, count: number): Promise<{ data: Buffer; port: number }[]> {
  const got: { data: Buffer; port: number }[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`received ${got.length} of ${count} datagrams`)), 5000);
    socket.on('message', (data, rinfo) => {
      got.push({ data, port: rinfo.port });
      if (got.length === count) {
        clearTimeout(timer);
        resolve(got);
      }
    });
  });
}

/** Collects `count` datagrams (copied) from a BatchUdpSocket, with the number of handler calls. */
function collectBatches(socket: BatchUdpSocket, count: number): Promise<{ data: Uint8Array; port: number }[]> {
  const got: { data: Uint8Array; port: number }[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`received ${got.length} of ${count} datagrams`)), 5000);
    socket.onDatagrams((batch: ReceivedBatch) => {
      for (let i = 0; i < batch.count; i++) got.push({ data: Uint8Array.from(batch.data(i)), port: batch.port(i) });
      if (got.length >= count) {
        clearTimeout(timer);
        resolve(got);
      }
    });
  });
}

/**
 * Sends mixedDatagrams() from a new BatchUdpSocket to a node:dgram socket, checks they all arrived unchanged and in
 * order, and returns the sender (closed). `prepare` runs on the sender before it sends.
 */
async function burstToDgram(
  address: string,
  options: BatchUdpSocketOptions = {},
  prepare: (socket: BatchUdpSocket) => void = () => {},
): Promise<BatchUdpSocket> {
  const receiver = await dgramSocket(address);
  const socket = BatchUdpSocket.open(address, address, options);
  try {
    prepare(socket);
    const datagrams = mixedDatagrams();
    const arrived = collect(receiver, datagrams.length);
    socket.sendBatch(datagrams, receiver.address().port);
    const got = await arrived;
    assertSameDatagrams(got, datagrams);
    assert.ok(got.every((d) => d.port === socket.localPort));
    assert.equal(socket.counters.sentDatagrams, 200);
    assert.equal(socket.counters.sendDrops, 0);
    return socket;
  } finally {
    socket.close();
    receiver.close();
  }
}

for (const [family, address] of [
  ['IPv4', '127.0.0.1'],
  ['IPv6', '::1'],
] as const) {
  test(`${family}: a burst of 200 mixed datagrams reaches a node:dgram socket complete and in order`, async () => {
    const socket = await burstToDgram(address);
    assert.equal(socket.localAddress, address);
    assert.ok(socket.localPort > 0);
    // the runs of 1450 and 1200 went out as two GSO sends each (64 KB at most per send), the 9000s as one; a
    // larger noise datagram followed by a smaller one makes a run of two as well
    assert.ok(socket.counters.segmentedSends >= 5);
  });

  test(`${family}: 200 datagrams from node:dgram all arrive, with their sizes and source ports`, async () => {
    const [first, second] = [await dgramSocket(address), await dgramSocket(address)];
    const socket = BatchUdpSocket.open(address, address);
    try {
      const datagrams = mixedDatagrams().filter((d) => d.length <= 9000);
      const arrived = collectBatches(socket, datagrams.length);
      // from two ports, as the gateway sends from 500 and 4500
      for (const [i, d] of datagrams.entries()) (i % 2 ? second : first).send(d, socket.localPort, address);
      const got = await arrived;
      assertSameDatagrams(got, datagrams);
      assert.deepEqual(
        got.map((d) => d.port),
        datagrams.map((_, i) => (i % 2 ? second : first).address().port),
      );
      assert.equal(socket.counters.receivedDatagrams, datagrams.length);
    } finally {
      socket.close();
      first.close();
      second.close();
    }
  });
}

test('datagrams from another address are not passed on', async () => {
  const gateway = await dgramSocket('127.0.0.1');
  const stranger = await dgramSocket('127.0.0.2');
  const socket = BatchUdpSocket.open('127.0.0.1', '127.0.0.1');
  try {
    const arrived = collectBatches(socket, 1);
    stranger.send(Uint8Array.of(1), socket.localPort, '127.0.0.1');
    stranger.send(Uint8Array.of(2), socket.localPort, '127.0.0.1');
    // the gateway's one arrives after the stranger's (loopback keeps the order), so all three have been read
    await new Promise((resolve) => setTimeout(resolve, 50));
    gateway.send(Uint8Array.of(3), socket.localPort, '127.0.0.1');
    const got = await arrived;
    assert.deepEqual(
      got.map((d) => [...d.data]),
      [[3]],
    );
    assert.equal(socket.counters.foreignDatagrams, 2);
  } finally {
    socket.close();
    gateway.close();
    stranger.close();
  }
});

test('with GSO off (sendmmsg only) the same burst arrives the same', async () => {
  const socket = await burstToDgram('127.0.0.1', { gso: false });
  assert.equal(socket.counters.segmentedSends, 0);
});

test('when the kernel refuses GSO, the burst goes out one datagram per message, and GSO stays off', async () => {
  // SO_NO_CHECK (no UDP checksum) makes the kernel refuse every GSO send with EINVAL, plain sends still go
  const setsockopt = ffi()
    .load('libc.so.6')
    .func('int setsockopt(int fd, int level, int name, const uint8_t *value, uint32_t len)');
  const socket = await burstToDgram('127.0.0.1', {}, ({ fd }) => {
    assert.equal(setsockopt(fd, 1, 11, new Uint8Array(Int32Array.of(1).buffer), 4), 0);
  });
  assert.equal(socket.gsoEnabled, false);
  assert.equal(socket.counters.segmentedSends, 0);
});

for (const [gro, cutter] of [
  [true, 'here'],
  [false, 'by the kernel'],
] as const) {
  test(`with GRO ${gro ? 'on' : 'off'}, a GSO burst is cut ${cutter} into the datagrams sent`, async () => {
    const receiver = BatchUdpSocket.open('127.0.0.1', '127.0.0.1', { gro });
    const sender = BatchUdpSocket.open('127.0.0.1', '127.0.0.1');
    try {
      const datagrams = mixedDatagrams();
      const arrived = collectBatches(receiver, datagrams.length);
      sender.sendBatch(datagrams, receiver.localPort);
      const got = await arrived;
      assertSameDatagrams(got, datagrams);
      assert.ok(got.every((d) => d.port === sender.localPort));
      // loopback hands a GSO send to a GRO socket uncut
      if (gro) assert.ok(receiver.counters.gluedReads > 0);
      else assert.equal(receiver.counters.gluedReads, 0);
      assert.ok(sender.counters.segmentedSends > 0);
    } finally {
      receiver.close();
      sender.close();
    }
  });
}

test('send: one datagram, and nothing (counted) after close', async () => {
  const receiver = await dgramSocket('127.0.0.1');
  const socket = BatchUdpSocket.open('127.0.0.1', '127.0.0.1');
  try {
    const arrived = collect(receiver, 1);
    socket.send(Uint8Array.of(9, 8, 7), receiver.address().port);
    assert.deepEqual([...(await arrived)[0]!.data], [9, 8, 7]);
  } finally {
    socket.close();
    socket.close();
    receiver.close();
  }
  socket.send(Uint8Array.of(1), 500);
  assert.equal(socket.counters.sendDrops, 1);
  assert.throws(() => socket.send(Uint8Array.of(1), 0x10000), OutpostError);
});

test('close() inside the handler ends reading safely', async () => {
  const sender = await dgramSocket('127.0.0.1');
  const socket = BatchUdpSocket.open('127.0.0.1', '127.0.0.1');
  let calls = 0;
  const closed = new Promise<void>((resolve) => {
    socket.onDatagrams((batch) => {
      calls++;
      socket.close();
      // the views stay readable until the handler returns, closed socket or not
      assert.equal(batch.data(0).length, 100);
      resolve();
    });
  });
  for (let i = 0; i < 300; i++) sender.send(new Uint8Array(100), socket.localPort, '127.0.0.1');
  await closed;
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(calls, 1);
  sender.close();
});

test('an exception from the handler reaches the event loop', async () => {
  const sender = await dgramSocket('127.0.0.1');
  const socket = BatchUdpSocket.open('127.0.0.1', '127.0.0.1');
  const listeners = process.listeners('uncaughtException');
  process.removeAllListeners('uncaughtException');
  try {
    const thrown = once(process, 'uncaughtException');
    socket.onDatagrams(() => {
      throw new Error('handler failed');
    });
    sender.send(Uint8Array.of(1), socket.localPort, '127.0.0.1');
    const [error] = (await thrown) as [Error];
    assert.equal(error.message, 'handler failed');
  } finally {
    for (const listener of listeners) process.on('uncaughtException', listener);
    socket.close();
    sender.close();
  }
});

test('an address this computer does not have is refused with a clear network error', () => {
  assert.throws(
    () => BatchUdpSocket.open('192.0.2.1', '198.51.100.1'),
    (error: unknown) =>
      error instanceof OutpostError &&
      error.code === 'network' &&
      error.detail === 'bind 192.0.2.1: EADDRNOTAVAIL' &&
      !error.message.includes('EADDRNOTAVAIL'),
  );
  assert.throws(() => BatchUdpSocket.open('not an address', '127.0.0.1'), OutpostError);
  assert.throws(() => BatchUdpSocket.open('127.0.0.1', '::1'), OutpostError);
});

test('in a worker_thread: the worker opens the socket and echoes what it gets', async () => {
  // tsx's loader does not reach worker threads by itself: the worker registers it before loading its module
  const script = new URL('../../../test/support/udp-echo-worker.ts', import.meta.url).href;
  const loader = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(script)}); })`;
  const worker = new Worker(loader, { eval: true, workerData: { local: '127.0.0.1', remote: '127.0.0.1' } });
  const client = await dgramSocket('127.0.0.1');
  try {
    const [port] = (await once(worker, 'message')) as [number];
    const datagrams = mixedDatagrams().slice(0, 50);
    const echoed = collect(client, datagrams.length);
    for (const d of datagrams) client.send(d, port, '127.0.0.1');
    const got = await echoed;
    // one echo per batch the worker read, in the order sent
    assertSameDatagrams(got, datagrams);
    worker.postMessage('stop');
    assert.deepEqual(await once(worker, 'exit'), [0]);
  } finally {
    client.close();
    await worker.terminate();
  }
});
