/**
 * The EAP peer (RFC 3748) with each method Outpost speaks: MS-CHAPv2, GTC and MD5-Challenge. An input is a whole
 * conversation from the gateway (identity, the method's requests, the outcome, notifications, other methods) with some
 * packets mutated at the EAP layer, in the method's Type-Data, or as raw bytes; packets may be dropped, repeated or
 * reordered. EapPeer.handle never throws by contract: it turns every error into a 'failure' step, keeping a foreign
 * exception as the cause, so a failure caused by anything but an OutpostError is a crash.
 */
import { isOutpostError, messageOf } from '../../../core/errors.js';
import { decodeEap, EapCode, type EapPacket, EapType, encodeEap } from '../../../core/eap/packet.js';
import { EapPeer, type EapMethodName } from '../../../core/eap/peer.js';
import { fromHex, toHex } from '../../support/hex.js';
import { type Dice, mutateBytes, mutateList } from '../mutator.js';
import { defineTarget } from '../target.js';

// RFC 2759 §9.2: with this peer challenge, user "User" and password "clientPass", the gateway's authenticator
// response is known, so the seeds reach the Success request's verification and the MSK.
const PEER_CHALLENGE = fromHex('21402324255E262A28295F2B3A337C7E');
const AUTHENTICATOR_CHALLENGE = fromHex('5B5D7C7D7B3F2F3E3C2C602132262628');
const AUTHENTICATOR_RESPONSE = '407A5589115FD0D6209F510FE9C04566932CDA56';

const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');

function request(identifier: number, type: number, data: Uint8Array): Uint8Array {
  return encodeEap({ code: EapCode.REQUEST, identifier, type, data });
}

function outcome(code: typeof EapCode.SUCCESS | typeof EapCode.FAILURE, identifier: number): Uint8Array {
  return encodeEap({ code, identifier, type: undefined, data: new Uint8Array(0) });
}

/** MS-CHAPv2 Type-Data: OpCode, MS-CHAPv2-ID, MS-Length, body. */
function mschap(opCode: number, body: Uint8Array): Uint8Array {
  return Buffer.concat([Uint8Array.of(opCode, 0x42, (body.length + 4) >> 8, (body.length + 4) & 0xff), body]);
}

const IDENTITY = request(1, EapType.IDENTITY, new Uint8Array(0));
const NOTIFICATION = request(1, EapType.NOTIFICATION, utf8('Password expires in 3 days'));
const OTHER_METHOD = request(2, 13, Uint8Array.of(0x20));
const EXPANDED = request(2, EapType.EXPANDED, fromHex('000000 00000003 fe 000000 0000001a'));
const CHALLENGE = request(
  2,
  EapType.MSCHAPV2,
  mschap(1, Buffer.concat([Uint8Array.of(16), AUTHENTICATOR_CHALLENGE, utf8('strongSwan')])),
);

// EAP-TLS, EAP-TTLS and PEAP frames go to the reassembler in their own target (tls-fragments): a TLS handshake cannot be
// replayed
type KeylessOrMschap = Exclude<EapMethodName, 'tls' | 'ttls' | 'peap'>;

const CONVERSATIONS: Readonly<Record<KeylessOrMschap, readonly (readonly Uint8Array[])[]>> = {
  mschapv2: [
    [
      IDENTITY,
      CHALLENGE,
      request(
        3,
        EapType.MSCHAPV2,
        mschap(3, Buffer.concat([utf8(`S=${AUTHENTICATOR_RESPONSE} M=Welcome2strongSwan`), Uint8Array.of(0)])),
      ),
      outcome(EapCode.SUCCESS, 3),
    ],
    [
      IDENTITY,
      CHALLENGE,
      request(
        3,
        EapType.MSCHAPV2,
        mschap(4, utf8('E=691 R=1 C=00112233445566778899aabbccddeeff V=3 M=Authentication failure')),
      ),
      outcome(EapCode.FAILURE, 3),
    ],
    [NOTIFICATION, EXPANDED, outcome(EapCode.FAILURE, 3)],
  ],
  gtc: [
    [IDENTITY, request(2, EapType.GTC, utf8('Enter your one-time code')), outcome(EapCode.SUCCESS, 2)],
    [IDENTITY, OTHER_METHOD, outcome(EapCode.FAILURE, 2)],
  ],
  md5: [
    [
      IDENTITY,
      request(2, EapType.MD5_CHALLENGE, Buffer.concat([Uint8Array.of(16), AUTHENTICATOR_CHALLENGE, utf8('gw')])),
      outcome(EapCode.SUCCESS, 2),
    ],
  ],
};

const METHODS = Object.keys(CONVERSATIONS) as KeylessOrMschap[];
const ALL_PACKETS = Object.values(CONVERSATIONS).flat(2);
const EAP_TYPES: readonly number[] = Object.values(EapType);

interface Conversation {
  method: KeylessOrMschap;
  packets: Uint8Array[];
}

/** A change that keeps the EAP header consistent, so the packet reaches the method's decoder. */
function mutateTypeData(dice: Dice, packet: Uint8Array): Uint8Array {
  const code = dice.chance(90) ? (packet[0] ?? EapCode.REQUEST) : dice.int(8);
  if (code !== EapCode.REQUEST && code !== EapCode.RESPONSE) return outcome(EapCode.SUCCESS, packet[1] ?? 0);
  const type = dice.chance(85) ? (packet[4] ?? EapType.IDENTITY) : dice.pick(EAP_TYPES);
  const data = mutateBytes(dice, packet.subarray(5), ALL_PACKETS);
  return encodeEap({ code, identifier: packet[1] ?? 0, type, data: data.subarray(0, 0xffff - 5) });
}

function generate(dice: Dice): Conversation {
  const method = dice.pick(METHODS);
  const packets = mutateList(dice, dice.pick(CONVERSATIONS[method]), {
    fresh: () => dice.pick(ALL_PACKETS),
    change: (packet) => (dice.chance(25) ? mutateBytes(dice, packet, ALL_PACKETS) : mutateTypeData(dice, packet)),
  });
  return { method, packets };
}

/** What the peer sends back must itself be a well-formed EAP Response to the request it answers. */
function checkResponse(request: Uint8Array, message: Uint8Array): void {
  let response: EapPacket;
  try {
    response = decodeEap(message);
  } catch (error) {
    // not a DecodeError for the oracle: the peer's own output is at fault, not the gateway's input
    throw new Error(`the peer sent a malformed response: ${messageOf(error)}`);
  }
  if (response.code !== EapCode.RESPONSE || response.identifier !== request[1]) {
    throw new Error(`answered request ${request[1]} with code ${response.code}, identifier ${response.identifier}`);
  }
}

/** Decoded: the conversation did not end in a failure step. */
function run({ method, packets }: Conversation): boolean {
  const peer = new EapPeer({
    identity: 'User',
    method,
    secret: () => 'clientPass',
    randomBytes: () => PEER_CHALLENGE,
  });
  let failed = false;
  for (const packet of packets) {
    const step = peer.handle(packet);
    if (step.kind === 'failure' && step.error.cause !== undefined && !isOutpostError(step.error.cause)) {
      throw step.error.cause;
    }
    if (step.kind === 'respond') checkResponse(packet, step.message);
    failed = step.kind === 'failure';
  }
  return !failed;
}

export const eapTarget = defineTarget({
  name: 'eap',
  generate,
  run,
  expected: isOutpostError,
  show: ({ method, packets }) => `${method} ${packets.map(toHex).join(' ')}`,
});
