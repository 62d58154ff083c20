import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { test } from 'node:test';
import { sntpTime } from './sntp.js';

/** A one-shot SNTP server on loopback whose clock is `offsetMs` away from ours. */
async function server(offsetMs: number, mode = 4): Promise<{ port: number; close(): void }> {
  const socket = createSocket('udp4');
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  socket.on('message', (request, peer) => {
    assert.equal(request.length, 48);
    assert.equal(request[0], 0x1b);
    const reply = Buffer.alloc(48);
    reply[0] = (3 << 3) | mode;
    const ms = Date.now() + offsetMs;
    reply.writeUInt32BE(Math.floor(ms / 1000) + 2_208_988_800, 40);
    reply.writeUInt32BE(Math.floor(((ms % 1000) / 1000) * 2 ** 32), 44);
    socket.send(reply, peer.port, peer.address);
  });
  return { port: (socket.address() as { port: number }).port, close: () => socket.close() };
}

test('reads the server time (RFC 4330 transmit timestamp) and sees how far our clock is off', async () => {
  const s = await server(-95_000);
  try {
    const reference = await sntpTime('127.0.0.1', { port: s.port });
    const skew = Date.now() - reference;
    assert.ok(Math.abs(skew - 95_000) < 1000, `skew ${skew} ms`);
  } finally {
    s.close();
  }
});

test('a server that does not answer as a server gives a typed error, not a hang', async () => {
  const s = await server(0, 3);
  try {
    await assert.rejects(sntpTime('127.0.0.1', { port: s.port, timeoutMs: 300 }), { code: 'network' });
  } finally {
    s.close();
  }
});
