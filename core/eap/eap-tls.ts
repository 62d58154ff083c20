/**
 * EAP-TLS peer (RFC 5216; TLS 1.3 as RFC 9190 adds it): the user proves itself with a certificate inside a TLS
 * handshake whose records travel in EAP messages. TlsFramedMethod does the framing shared with EAP-TTLS: Start,
 * fragments out (each waits for the server's acknowledgement), fragments in (each acknowledged), an immediate
 * duplicate request answered again with the same response (RFC 3748 §4.1).
 */
import { OutpostError } from '../errors.js';
import { type EapMethod, type MethodOutcome, type MethodReply, signInRejected, unexpectedMessage } from './method.js';
import { EapType } from './packet.js';
import { type ClientCertificate, TlsClient } from './tls-client.js';
import { decodeTlsFrame, fragmentTlsMessage, TlsReassembler, tlsAcknowledgement } from './tls-framing.js';

/** Our fragments' data; with the EAP and IKE headers they stay under the 1228-byte datagram the session sends. */
export const TLS_FRAGMENT_SIZE = 1024;

export interface TlsCredentials {
  /** PEM of the CA(s) that issue the EAP server's certificate. */
  caPem: string;
  /** The name the EAP server's certificate must carry. */
  serverName: string;
  /** Required for EAP-TLS; EAP-TTLS may go without. */
  clientCertificate: ClientCertificate | undefined;
}

const KEY_LENGTH = 64;
// RFC 9190 §2.3: MSK ‖ EMSK = TLS-Exporter("EXPORTER_EAP_TLS_Key_Material", Type-Code 0x0D, 128)
const TLS13_LABEL = 'EXPORTER_EAP_TLS_Key_Material';
// RFC 5216 §2.3: the first 64 octets of TLS-PRF-128(master, "client EAP encryption", client.random ‖ server.random),
// which is the RFC 5705 exporter with this label and no context; servers from before RFC 9190 use it with TLS 1.3 too
const TLS12_LABEL = 'client EAP encryption';

function gatewayNotProven(detail: string): OutpostError {
  return new OutpostError(
    'gateway-auth-invalid',
    'The gateway reported success before its secure sign-in channel was complete, so it may not be genuine. Tell IT.',
    { detail },
  );
}

export abstract class TlsFramedMethod implements EapMethod {
  abstract readonly type: number;
  /** The method as the details name it. */
  protected abstract readonly name: string;
  protected tls: TlsClient | undefined;
  private readonly reassembler = new TlsReassembler();
  private pending: Uint8Array[] = [];
  private last: { identifier: number; data: Uint8Array } | undefined;
  /** The EAP Identifier of the request being answered (PEAP's inner packets borrow it). */
  protected identifier = 0;

  constructor(
    protected readonly credentials: TlsCredentials,
    private readonly maxVersion: 'TLSv1.2' | 'TLSv1.3',
  ) {}

  get started(): boolean {
    return this.tls !== undefined;
  }

  request(identifier: number, data: Uint8Array): MethodReply {
    if (this.last?.identifier === identifier) return { kind: 'respond', data: this.last.data };
    this.identifier = identifier;
    const reply = this.answer(identifier, data);
    if (reply.kind === 'respond') this.last = { identifier, data: reply.data };
    return reply;
  }

  private answer(identifier: number, data: Uint8Array): MethodReply {
    const frame = decodeTlsFrame(data);
    if (frame.start) {
      if (this.tls)
        return { kind: 'failure', error: unexpectedMessage(`${this.name} Start after the handshake began`) };
      this.tls = new TlsClient({
        caPem: this.credentials.caPem,
        serverName: this.credentials.serverName,
        clientCertificate: this.credentials.clientCertificate,
        maxVersion: this.maxVersion,
      });
      return this.sendRecords(this.tls.start());
    }
    const tls = this.tls;
    if (!tls) return { kind: 'failure', error: unexpectedMessage(`${this.name} request before Start`) };
    if (this.pending.length > 0) {
      // the server acknowledges our fragment with an empty request and nothing else (RFC 5216 §2.1.5)
      if (frame.more || frame.fragment.length > 0) {
        return { kind: 'failure', error: unexpectedMessage(`${this.name} data while our fragments were pending`) };
      }
      return { kind: 'respond', data: this.pending.shift()! };
    }
    const reassembled = this.reassembler.add(identifier, frame);
    if (reassembled.kind === 'more') return { kind: 'respond', data: tlsAcknowledgement() };
    const records = tls.receive(reassembled.message);
    // Records of ours in this step (TLS 1.3's client Finished) are a write node finishes a turn later: a second one
    // now would come out empty. The inner phase waits for the server's next request, which it must send (EAP is
    // lock-step) and which the edge holds until the write is finished (tlsSettling).
    if (records.length > 0) return this.sendRecords(records);
    const inner = tls.established ? this.afterHandshake(tls) : new Uint8Array(0);
    return inner.length > 0 ? this.sendRecords(inner) : { kind: 'respond', data: tlsAcknowledgement() };
  }

  /** Records of the phase after the handshake (TTLS's inner method); none for EAP-TLS. */
  protected afterHandshake(_tls: TlsClient): Uint8Array {
    return new Uint8Array(0);
  }

  private sendRecords(records: Uint8Array): MethodReply {
    const [first, ...rest] = fragmentTlsMessage(records, TLS_FRAGMENT_SIZE);
    this.pending = rest;
    return { kind: 'respond', data: first! };
  }

  protected abstract keys(tls: TlsClient): Uint8Array | OutpostError;

  success(): MethodOutcome {
    const tls = this.tls;
    if (tls?.error) return { kind: 'failure', error: tls.error };
    if (!tls?.established) {
      return { kind: 'failure', error: gatewayNotProven(`EAP-Success before the ${this.name} handshake completed`) };
    }
    const keys = this.keys(tls);
    tls.close();
    return keys instanceof OutpostError ? { kind: 'failure', error: keys } : { kind: 'success', msk: keys };
  }

  failure(): OutpostError {
    const error = this.tls?.error;
    this.tls?.close();
    return error ?? signInRejected(`EAP-Failure during ${this.name}`);
  }
}

export class EapTlsMethod extends TlsFramedMethod {
  readonly type = EapType.TLS;
  protected readonly name = 'EAP-TLS';

  constructor(credentials: TlsCredentials) {
    super(credentials, 'TLSv1.3');
  }

  protected keys(tls: TlsClient): Uint8Array | OutpostError {
    if (tls.protocol === 'TLSv1.3') {
      const committed = tls.takePlaintext();
      if (committed.length === 0) {
        // A server from before RFC 9190 (strongSwan 5.9.8's eap-tls, measured in test/interop/eap-tls.test.ts) sends
        // no commitment message and keys with the TLS 1.2 label through the TLS 1.3 exporter, as the drafts did. Not
        // a weaker check: the gateway's AUTH payload is keyed with this MSK, so only the server that finished this
        // handshake can make it.
        return tls.exportKeyingMaterial(2 * KEY_LENGTH, TLS12_LABEL).slice(0, KEY_LENGTH);
      }
      // RFC 9190 §2.5: the server commits to ending the handshake with one octet of application data, 0x00
      if (committed.length !== 1 || committed[0] !== 0) {
        return gatewayNotProven('TLS 1.3 application data other than the commitment message');
      }
      return tls.exportKeyingMaterial(2 * KEY_LENGTH, TLS13_LABEL, Uint8Array.of(EapType.TLS)).slice(0, KEY_LENGTH);
    }
    return tls.exportKeyingMaterial(KEY_LENGTH, TLS12_LABEL);
  }
}
