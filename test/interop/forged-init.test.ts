/**
 * Before the gateway is authenticated, anyone on the path can answer for it (RFC 7296 §2.21.1). A forged IKE_SA_INIT
 * answer that refuses (NO_PROPOSAL_CHOSEN), or that carries a key exchange we cannot use, must not end the
 * connection: the client keeps sending, and connects when the real gateway answers. Nor must an IKE_AUTH answer
 * claiming AUTHENTICATION_FAILED without the SA's keys (RFC 7296 §2.21.2): it lacks the encrypted payload every
 * IKE_AUTH message has, so it is dropped.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  decodeMessage,
  ExchangeType,
  encodeMessage,
  findPayload,
  NotifyType,
  notify,
  PayloadType,
} from '../../core/ike/message/index.js';
import type { Payload } from '../../core/ike/message/types.js';
import type { Gateway } from '../support/gateway.js';
import type { TestNetwork } from '../support/netns.js';
import { captureUdp, sendUdp, udpPortsOf } from '../support/packets.js';
import { loginArgs, OutpostProcess } from './cli-process.js';
import { gatewayForFile } from './with-gateway.js';

let net: TestNetwork;
let gw: Gateway;

gatewayForFile((madeNet, madeGw) => {
  net = madeNet;
  gw = madeGw;
});

/** The gateway namespace drops IKE on `port` until `open()`: meanwhile only our forgeries answer. */
async function holdGateway(port = 500): Promise<{ open(): Promise<void> }> {
  const table = 'outpost_forged_init_test';
  const rules = `table inet ${table} {\n chain input {\n type filter hook input priority 0;\n udp dport ${port} drop\n }\n}\n`;
  const held = await net.exec(net.gatewayNs, ['nft', '-f', '-'], { input: rules });
  assert.equal(held.code, 0, held.stderr);
  return {
    open: async () => {
      await net.exec(net.gatewayNs, ['nft', 'delete', 'table', 'inet', table]);
    },
  };
}

/** The forgery sent, the client must still be trying; once the gateway may answer, it connects. */
async function notBelievedThenConnects(proc: OutpostProcess, held: { open(): Promise<void> }): Promise<void> {
  await sleep(300);
  assert.equal(
    proc.events.find((e) => e.event === 'error'),
    undefined,
    'the forged answer is not believed',
  );
  await held.open();
  const connected = await proc.waitFor('connected', 30_000);
  assert.ok(connected, `not connected after the forgery: ${JSON.stringify(proc.events)} ${proc.stderr}`);
}

/** A forged answer to the client's IKE_SA_INIT, from the gateway's address and port. */
function forgedAnswer(request: Uint8Array, payloads: Payload[]): Uint8Array {
  const { header } = decodeMessage(request);
  const spiR = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
  return encodeMessage({ ...header, spiR, initiator: false, response: true }, payloads);
}

const FORGERIES: [string, (request: Uint8Array) => Uint8Array][] = [
  ['NO_PROPOSAL_CHOSEN', (request) => forgedAnswer(request, [notify(NotifyType.NO_PROPOSAL_CHOSEN)])],
  [
    'a key exchange of the wrong group',
    (request) => {
      const { payloads } = decodeMessage(request);
      const offered = findPayload(payloads, PayloadType.SA)!.proposals[0]!;
      // a well-formed choice (one transform of each type we offered), then a KE of a group we did not send
      const transforms = offered.transforms.filter((t, i, all) => all.findIndex((u) => u.type === t.type) === i);
      const chosen: Payload = { type: PayloadType.SA, proposals: [{ ...offered, transforms }] };
      const nonce: Payload = { type: PayloadType.NONCE, data: new Uint8Array(32).fill(7) };
      const wrongKe: Payload = { type: PayloadType.KE, group: 14, data: new Uint8Array(256).fill(1) };
      return forgedAnswer(request, [chosen, wrongKe, nonce]);
    },
  ],
];

describe('forged answers before the gateway is authenticated', { timeout: 120_000 }, () => {
  for (const [what, forge] of FORGERIES) {
    test(`an IKE_SA_INIT answer with ${what} does not end the connection`, async () => {
      const held = await holdGateway();
      const seen = await captureUdp(net, net.gatewayNs, 'vcli', 'dst port 500');
      const proc = OutpostProcess.start(net, loginArgs(gw), { OUTPOST_PASSWORD: gw.user.password });
      try {
        assert.ok(await proc.waitFor('progress'), proc.stderr);
        await sleep(300);
        const [request] = await seen.stop();
        assert.ok(request, 'the client sent IKE_SA_INIT');
        const [clientPort] = await udpPortsOf(net, net.clientNs, proc.pid);
        assert.ok(clientPort);
        await sendUdp(net, net.gatewayNs, {
          to: net.clientAddress,
          port: clientPort,
          from: { port: 500 },
          payload: forge(request),
        });
        await notBelievedThenConnects(proc, held);
      } finally {
        await held.open();
        await proc.stop();
      }
    });
  }

  test('an unprotected IKE_AUTH answer with AUTHENTICATION_FAILED does not end the connection', async () => {
    // IKE_SA_INIT goes through; IKE_AUTH requests (UDP 4500) are held, so only the forgery answers the first one
    const held = await holdGateway(4500);
    const initAnswers = await captureUdp(net, net.gatewayNs, 'vcli', 'src port 500');
    const proc = OutpostProcess.start(net, loginArgs(gw), { OUTPOST_PASSWORD: gw.user.password });
    try {
      await proc.until((e) => e.event === 'progress' && String(e.message).startsWith('IKE SA negotiated'));
      const [initAnswer] = await initAnswers.stop();
      assert.ok(initAnswer, "the gateway's IKE_SA_INIT answer");
      const { header } = decodeMessage(initAnswer);
      const forged = encodeMessage({ ...header, exchange: ExchangeType.IKE_AUTH, messageId: 1 }, [
        notify(NotifyType.AUTHENTICATION_FAILED),
      ]);
      const [clientPort] = await udpPortsOf(net, net.clientNs, proc.pid);
      assert.ok(clientPort);
      const to = net.clientAddress;
      // from 4500 behind the non-ESP marker, where IKE_AUTH travels, and from 500 as it is
      const marked = Uint8Array.from([0, 0, 0, 0, ...forged]);
      const delivered = await captureUdp(net, net.clientNs, 'vgw', `dst port ${clientPort}`);
      await sendUdp(net, net.gatewayNs, { to, port: clientPort, from: { port: 4500 }, payload: marked });
      await sendUdp(net, net.gatewayNs, { to, port: clientPort, from: { port: 500 }, payload: forged });
      const arrived = await delivered.stop();
      for (const sent of [marked, forged]) {
        assert.ok(
          arrived.some((d) => Buffer.compare(d, sent) === 0),
          'the forgery reached the client',
        );
      }
      await notBelievedThenConnects(proc, held);
    } finally {
      await held.open();
      await proc.stop();
    }
  });
});
