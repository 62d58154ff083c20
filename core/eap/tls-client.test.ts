/**
 * The node behaviour tlsSettling relies on, measured: a TLS socket over a plain Duplex (a JSStreamSocket inside)
 * keeps new records in OpenSSL's buffer until its last write is finished, which happens in a setImmediate queued
 * from a tick after the stream's write callback; a setImmediate queued from a tick of ours, queued in that write,
 * runs after it. Checked with one buffer and with the corked several-buffer write a large send makes.
 */
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { before, describe, it } from 'node:test';
import { connect } from 'node:tls';
import { makeTestCertificates, SERVER_NAME, type TestCertificates, TlsServerSide } from './tls-test-support.js';

let certificates: TestCertificates;
before(() => {
  certificates = makeTestCertificates();
});

const turn = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

/** A raw node TLS client over a Duplex that records its writes, with the tick-then-immediate of countWrite. */
async function establishedClient() {
  const out: Buffer[] = [];
  let writes = 0;
  let settled = Promise.resolve();
  const transport = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, done) {
      out.push(Buffer.from(chunk));
      writes++;
      done();
      settled = new Promise((resolve) => process.nextTick(() => setImmediate(resolve)));
    },
  });
  const server = new TlsServerSide({ certificates, maxVersion: 'TLSv1.3', anonymousClient: true, fragmentSize: 0 });
  const socket = connect({ socket: transport, ca: certificates.caPem, servername: SERVER_NAME });
  let secure = false;
  socket.on('secureConnect', () => {
    secure = true;
  });
  await turn();
  for (let round = 0; round < 10 && !secure; round++) {
    server.push(Buffer.concat(out.splice(0)));
    await turn();
    transport.push(server.take());
    await turn();
  }
  assert.ok(secure, 'handshake');
  server.push(Buffer.concat(out.splice(0)));
  await turn();
  return {
    socket,
    take: () => Buffer.concat(out.splice(0)),
    writes: () => writes,
    settled: () => settled,
    close: () => socket.destroy(),
  };
}

describe("node's TLS write completion over an in-memory stream", () => {
  for (const size of [100, 40_000]) {
    it(`a ${size}-byte write: records held until finished, out at once after the tick-then-immediate`, async () => {
      const client = await establishedClient();
      const before = client.writes();
      client.socket.write(Buffer.alloc(size, 1));
      assert.ok(client.take().length > size, 'the first write comes out at once');
      if (size > 16_384) assert.ok(client.writes() - before > 1, 'several buffers in one corked write');
      // a second write before node finished the first: its record stays in OpenSSL's buffer
      client.socket.write(Buffer.of(2));
      assert.equal(client.take().length, 0);
      // a setImmediate queued now runs before node's finishWrite: one check phase alone is not enough
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(client.take().length, 0, 'finished before an immediate queued after the write');
      client.socket.write(Buffer.of(3));
      // the tick-then-immediate queued in the first write's callback runs after finishWrite, which let out the held
      // records as a new write; once that one settled too, a write comes out at once
      const settled = client.settled();
      await settled;
      assert.ok(client.take().length > 0, 'held records out by the time the first write settled');
      await client.settled();
      client.socket.write(Buffer.of(4));
      assert.ok(client.take().length > 0, 'after settling, a write comes out at once');
      client.close();
    });
  }
});
