/**
 * The connection as one sans-I/O machine: which port each datagram goes to, how datagrams from the gateway are told
 * apart (IKE, ESP, keepalive), what it does before a CHILD_SA exists, and how it ends. Full exchanges against a real
 * gateway are in test/interop.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OutpostError } from '../errors.js';
import { NAT_KEEPALIVE, NON_ESP_MARKER_LENGTH, withNonEspMarker } from '../esp/udp-encap.js';
import { decodeMessage, ExchangeType } from '../ike/message/index.js';
import { FakeGateway } from '../ike/test-gateway.js';
import { testSessionConfig } from '../ike/test-support.js';
import { Connection, type ConnectionEvent, type Datagram, NAT_T_PORT } from './connection.js';

function started(port = 500): Connection {
  const connection = new Connection(testSessionConfig({ remote: { address: '192.0.2.1', port } }), { pathMtu: 1500 });
  connection.start(0);
  return connection;
}

function closedWith(events: ConnectionEvent[]): string | undefined {
  const closed = events.find((e) => e.type === 'closed');
  return closed?.type === 'closed' ? (closed.error?.code ?? 'clean') : undefined;
}

test('IKE_SA_INIT goes to the gateway port as it is; the connection reports progress', () => {
  const connection = started();
  const { send, events } = connection.take();
  assert.equal(send.length, 1);
  assert.equal(send[0]!.port, 500);
  assert.equal(decodeMessage(send[0]!.data).header.exchange, ExchangeType.IKE_SA_INIT);
  assert.ok(events.some((e) => e.type === 'progress'));
  assert.equal(connection.hasOutput, false, 'take() empties the queues');
  assert.equal(connection.nextDeadline(), 1000, 'the first retransmission, no keepalive before the tunnel is up');
});

test('a gateway on 4500 gets IKE behind the non-ESP marker', () => {
  const { send } = started(NAT_T_PORT).take();
  assert.equal(send[0]!.port, NAT_T_PORT);
  assert.deepEqual([...send[0]!.data.subarray(0, 4)], [0, 0, 0, 0]);
  assert.equal(decodeMessage(send[0]!.data.subarray(4)).header.exchange, ExchangeType.IKE_SA_INIT);
});

test('datagrams from the gateway are told apart by port and marker, and bad ones only counted', () => {
  const connection = started();
  connection.take();
  const garbageIke = Uint8Array.from([0, 0, 0, 0, ...new Array<number>(28).fill(7)]);
  connection.receive(garbageIke, NAT_T_PORT, 10);
  assert.equal(connection.counters.dropped, 1, 'IKE behind the marker reaches the session, which drops garbage');
  connection.receive(garbageIke.subarray(4), 500, 11);
  assert.equal(connection.counters.dropped, 2, 'IKE on the gateway port reaches the session too');
  const esp = Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1, ...new Array<number>(40).fill(1)]);
  connection.receive(esp, NAT_T_PORT, 12);
  connection.receive(NAT_KEEPALIVE, NAT_T_PORT, 13);
  connection.receive(garbageIke, 12345, 14);
  assert.equal(connection.counters.dropped, 2, 'ESP (for the data path), keepalives and other ports are ignored');
  assert.equal(connection.hasOutput, false, 'nothing answered');
  assert.equal(connection.nextDeadline(), 1000, 'still waiting for the real answer');
});

test('before a CHILD_SA exists the data path is told nothing', () => {
  const connection = started();
  assert.deepEqual(connection.take().keys, []);
  connection.noteTraffic({ inbound: false, unanswered: true, outbound: true, exhausting: 0x01020304 }, 5);
  assert.deepEqual(connection.take().keys, [], 'no rekey for an SA it does not have');
});

test('a failure at the edge ends the connection at once with that error, and then it takes nothing in', () => {
  const connection = started();
  connection.take();
  connection.fail(new OutpostError('network', 'The virtual network adapter could not be set up.'), 20);
  const { send, events } = connection.take();
  assert.equal(send.length, 0, 'no IKE SA yet: nothing to delete');
  assert.equal(closedWith(events), 'network');
  assert.ok(connection.isClosed);
  assert.equal(connection.nextDeadline(), undefined);
  connection.tick(5000);
  connection.receive(Uint8Array.from([0, 0, 0, 0, 1, 2, 3]), NAT_T_PORT, 5001);
  assert.equal(connection.hasOutput, false);
});

/** The IKE message in a datagram of ours: behind the non-ESP marker on 4500 (the gateway does NAT traversal). */
function ikeOf({ data, port }: Datagram): { data: Uint8Array } {
  return { data: port === NAT_T_PORT ? data.subarray(NON_ESP_MARKER_LENGTH) : data };
}

test('a failure at the edge once the gateway holds the IKE SA ends with that error after the Delete is answered', () => {
  const connection = started();
  const gateway = new FakeGateway();
  connection.receive(gateway.answerInit(connection.take().send[0]!), 500, 5);
  const [auth] = connection.take().send;
  connection.fail(new OutpostError('network', 'The virtual network adapter could not be set up.'), 20);
  const waiting = connection.take();
  assert.equal(waiting.send.length, 0, 'the Delete waits for the request the gateway is answering');
  assert.equal(closedWith(waiting.events), undefined, 'the gateway is told first');
  connection.receive(withNonEspMarker(gateway.seal(gateway.open(ikeOf(auth!)).message.header, [])), NAT_T_PORT, 25);
  const { send } = connection.take();
  assert.equal(send.length, 1);
  const request = gateway.open(ikeOf(send[0]!));
  assert.equal(request.message.header.exchange, ExchangeType.INFORMATIONAL);
  assert.equal(request.message.header.messageId, 2, 'the message ID the gateway expects next');
  connection.receive(withNonEspMarker(gateway.seal(request.message.header, [])), NAT_T_PORT, 30);
  assert.equal(closedWith(connection.take().events), 'network');
  assert.ok(connection.isClosed);
});

test('retransmissions run out into one closed event', () => {
  const connection = started();
  const events: ConnectionEvent[] = [];
  for (let now = 0; now <= 20_000 && !connection.isClosed; now += 500) {
    connection.tick(now);
    events.push(...connection.take().events);
  }
  assert.equal(closedWith(events), 'gateway-timeout');
  assert.equal(events.filter((e) => e.type === 'closed').length, 1);
});

test('roaming before the tunnel is up cannot take the SAs along: the caller re-establishes, nothing is sent', () => {
  const connection = started();
  connection.take();
  assert.equal(connection.roam({ address: '192.0.2.3', port: 41000 }, 50), 'reestablish');
  assert.equal(connection.hasOutput, false);
  assert.equal(connection.isClosed, false, 'the caller decides how to end it');
});
